// What the machine was doing during a bench run: cores, memory, load at the start and end,
// and an fsync probe (small synced writes where the benches keep their data), because on
// a shared 2-core box the load and fsync latency explain most of the spread between runs.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';

const round = (x, d = 2) => Number(x.toFixed(d));

/** Times `count` write+fsync pairs of `bytes` each in a temporary directory under dir. */
export function fsyncProbe(dir, { count = 40, bytes = 4096 } = {}) {
  const tmp = mkdtempSync(join(dir, '.fsync-probe-'));
  const buf = Buffer.alloc(bytes, 7);
  const lat = [];
  try {
    const fd = openSync(join(tmp, 'probe'), 'w');
    try {
      for (let i = 0; i < count; i++) {
        const t0 = process.hrtime.bigint();
        writeSync(fd, buf, 0, bytes, i * bytes);
        fsyncSync(fd);
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  lat.sort((a, b) => a - b);
  const pct = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
  return { fsyncs: count, bytes, p50_ms: round(pct(0.5)), p99_ms: round(pct(0.99)), max_ms: round(lat[lat.length - 1]) };
}

/** Machine facts at the start of a run; call finish() at the end for the closing load. */
export function machineInfo(dir) {
  const c = cpus();
  const info = {
    date: new Date().toISOString(),
    cores: c.length,
    cpuModel: c[0]?.model?.trim() ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${osType()} ${release()}`,
    loadAverageAtStart: loadavg().map((x) => round(x)),
    fsyncProbe: { dir: 'bench-results', ...fsyncProbe(dir) },
  };
  return { info, finish: () => ({ ...info, loadAverageAtEnd: loadavg().map((x) => round(x)) }) };
}

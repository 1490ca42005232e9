import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, History, runNemesis, startCluster } from '../src/index.js';
import { NemesisError, checkAckedInLog } from '../src/faults/index.js';
import { exchange, pidAlive } from './helpers/echo.js';

const script = fileURLToPath(new URL('./fixtures/logServer.mjs', import.meta.url));

/** One request line, one reply line (trimmed), or undefined within waitMs. */
async function request(port: number, line: string, waitMs = 10_000): Promise<string | undefined> {
  const got = await exchange(port, `${line}\n`, (g) => g.includes('\n'), waitMs);
  return got?.trim();
}

describe('runNemesis disk faults against a persisting fixture', () => {
  let c: Cluster | undefined;
  let history = new History();
  afterEach(async () => {
    if (c) {
      await c.stop();
      fs.rmSync(c.dataDir, { recursive: true, force: true });
      c = undefined;
    }
  });

  async function start(): Promise<Cluster> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-nemesis-disk-'));
    c = await startCluster({
      nodes: 3,
      dataDir,
      readyWhen: /log ready on/,
      spec: (i, ports) => ({ command: process.execPath, args: [script, '--port', String(ports[i]![0]), '--dir', `${dataDir}/node${i}`] }),
    });
    history = new History();
    for (let i = 0; i < 3; i++)
      for (const t of ['a', 'b', 'c', 'd']) {
        const h = history.invoke(i, 'append', `${i}${t}`);
        if ((await request(c.ports[i]![0]!, `append ${i}${t}`)) === 'ok') h.ok();
        else h.info();
      }
    return c;
  }

  it("'wipe' and 'corrupt' name files and offsets, one disk at a time; a refused start is wiped and restarted", { timeout: 120_000 }, async () => {
    const cl = await start();
    const pids: number[] = [];
    const schedule = await runNemesis(
      cl,
      { seed: 3, durationMs: 60_000, steps: 6, intervalMs: [10, 30], faults: ['wipe', 'corrupt'], corruptMatch: /data\.log$/, corruptModes: ['flip'], onRefusedStart: 'wipe-and-restart' },
      () => {
        for (let i = 0; i < 3; i++) if (cl.pid(i) !== undefined) pids.push(cl.pid(i)!);
      },
    );
    const text = schedule.join('\n');
    expect(text).toMatch(/kill\+corrupt \d \(mode flip, seed \d+\): flip node\d\/data\.log @\d+ 0x[0-9a-f]{2}->0x[0-9a-f]{2}/);
    expect(text).toMatch(/kill\+wipe-now \d: delete node\d\/data\.log; delete node\d\/identity/);
    // Each disk fault names exactly one node (diskFaultsMaxAtOnce 1).
    for (const l of schedule.filter((x) => /kill\+/.test(x))) expect(l).toMatch(/kill\+(corrupt|wipe-now) \d[ :]/);
    // A flipped byte inside a checksummed record makes the fixture refuse; the nemesis wiped it and restarted it.
    expect(text).toMatch(/node \d refused to start \(.*\); onRefusedStart=wipe-and-restart/);
    for (let i = 0; i < 3; i++) expect(cl.isUp(i)).toBe(true);

    // The acknowledged writes of a wiped node are gone from its log: the checker says so.
    const logs: Record<string, string[]> = {};
    for (let i = 0; i < 3; i++) logs[`node${i}`] = (await request(cl.ports[i]![0]!, 'read'))!.split(',').filter(Boolean);
    // This fixture does not replicate, so each node must hold its own acknowledged appends.
    const r = checkAckedInLog(history, logs, { replicaReached: (rep, _log, op) => rep === `node${op.process}` });
    expect(r.ok).toBe(false);
    const wiped = new Set(schedule.flatMap((l) => [...l.matchAll(/(?:wipe-now|wipe) (\d)/g)].map((m) => `node${m[1]}`)));
    expect(wiped.size).toBeGreaterThan(0);
    for (const w of wiped) expect(r.problems.join('\n')).toMatch(new RegExp(`lost acknowledged write: op \\d+ \\(process ${w.slice(4)}, append "${w.slice(4)}a", ok\\) is missing from replica ${w}'s final log`));

    const same = await runNemesis(cl, { seed: 3, durationMs: 60_000, steps: 6, intervalMs: [10, 30], faults: ['wipe', 'corrupt'], corruptMatch: /data\.log$/, corruptModes: ['flip'], onRefusedStart: 'wipe-and-restart' });
    expect(same.length).toBeGreaterThan(0);
    await cl.stop();
    for (const p of new Set(pids)) expect(pidAlive(p)).toBe(false);
  });

  it("onRefusedStart 'fail' throws a named error; 'leave-down' keeps the node down through the final heal", { timeout: 120_000 }, async () => {
    const cl = await start();
    const opts = { seed: 11, durationMs: 60_000, steps: 1, intervalMs: [10, 20] as [number, number], faults: ['corrupt' as const], corruptModes: ['truncate' as const], corruptMatch: /data\.log$/ };
    await expect(runNemesis(cl, { ...opts, onRefusedStart: 'fail' })).rejects.toThrow(NemesisError);
    for (let i = 0; i < 3; i++) if (!cl.isUp(i)) fs.rmSync(cl.nodeDir(i), { recursive: true, force: true });
    for (let i = 0; i < 3; i++) if (!cl.isUp(i)) await cl.start(i);
    for (let i = 0; i < 3; i++) await request(cl.ports[i]![0]!, 'append again');
    const schedule = await runNemesis(cl, { ...opts, onRefusedStart: 'leave-down' });
    expect(schedule.join('\n')).toMatch(/truncate node\d\/data\.log \d+->\d+/);
    expect(schedule.at(-1)).toMatch(/left down \(refused to start\): \d/);
    expect([0, 1, 2].filter((i) => !cl.isUp(i))).toHaveLength(1);
  });
});

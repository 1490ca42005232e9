// The etcd anchor for paxoskv and certain: three etcd members on loopback (fsync on, as
// etcd always does), puts from Node over etcd's v3 JSON gateway with keep-alive
// connections, all clients on the leader, 1 and 64 concurrent clients.
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { freePorts, makeTempDir, waitUntil } from './procs.mjs';

export function etcdInstalled() {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

function post(agent, port, path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let out = '';
      res.on('data', (c) => { out += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(out)) : reject(new Error(`etcd ${res.statusCode}: ${out}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const b64 = (s) => Buffer.from(s).toString('base64');

async function etcdLayout() {
  const dir = makeTempDir('etcd');
  const ports = await freePorts(6);
  const names = ['e0', 'e1', 'e2'];
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[3 + i]}`).join(',');
  return { dir, ports, names, initial };
}

export async function measureEtcd({ seconds = 5, clients = [1, 64] } = {}) {
  const { spawn } = await import('node:child_process');
  const { dir, ports, names, initial } = await etcdLayout();
  const children = names.map((name, i) => spawn('etcd', [
    '--name', name, '--data-dir', join(dir, name),
    '--listen-client-urls', `http://127.0.0.1:${ports[i]}`, '--advertise-client-urls', `http://127.0.0.1:${ports[i]}`,
    '--listen-peer-urls', `http://127.0.0.1:${ports[3 + i]}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${ports[3 + i]}`,
    '--initial-cluster', initial, '--initial-cluster-state', 'new', '--log-level', 'error',
  ], { stdio: 'ignore', detached: true }));
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 128 });
    let leaderPort;
    await waitUntil(async () => {
      for (const p of ports.slice(0, 3)) {
        try {
          const st = await post(agent, p, '/v3/maintenance/status', {});
          if (st.leader && st.header && st.leader === st.header.member_id) { leaderPort = p; return true; }
        } catch { /* not up yet */ }
      }
      return false;
    }, 30_000, 'an etcd leader');
    const rows = [];
    for (const n of clients) {
      const lat = [];
      const stopAt = Date.now() + seconds * 1000;
      let ops = 0;
      await Promise.all(Array.from({ length: n }, async (_, c) => {
        let i = 0;
        while (Date.now() < stopAt) {
          const t0 = process.hrtime.bigint();
          await post(agent, leaderPort, '/v3/kv/put', { key: b64(`bench-${c}-${i++}`), value: b64('x'.repeat(16)) });
          lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          ops += 1;
        }
      }));
      lat.sort((a, b) => a - b);
      const pct = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0;
      rows.push({ system: 'etcd 3 members', clients: n, puts_per_s: Math.round(ops / seconds), p50_ms: +pct(0.5).toFixed(2), p99_ms: +pct(0.99).toFixed(2) });
    }
    agent.destroy();
    return rows;
  } finally {
    for (const c of children) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
}

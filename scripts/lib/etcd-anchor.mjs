// The etcd anchor for paxoskv and certain, measured in the same `npm run bench` run: three
// etcd members on loopback (started by the harness's startEtcd), puts from Node over etcd's
// v3 JSON gateway with keep-alive connections, all on the leader, 1 and 64 clients.
import { etcdInstalled, startEtcd } from '@quorumkit/test-harness';

export { etcdInstalled };

export async function measureEtcd({ seconds = 5, clients = [1, 64] } = {}) {
  const etcd = await startEtcd();
  try {
    const rows = [];
    for (const n of clients) {
      const lat = [];
      const stopAt = Date.now() + seconds * 1000;
      let ops = 0;
      await Promise.all(Array.from({ length: n }, async (_, c) => {
        for (let i = 0; Date.now() < stopAt; i++) {
          const t0 = process.hrtime.bigint();
          await etcd.put(`bench-${c}-${i}`, 'x'.repeat(16));
          lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          ops += 1;
        }
      }));
      lat.sort((a, b) => a - b);
      const pct = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0;
      rows.push({ system: 'etcd 3 members', clients: n, puts_per_s: Math.round(ops / seconds), p50_ms: +pct(0.5).toFixed(2), p99_ms: +pct(0.99).toFixed(2) });
    }
    return rows;
  } finally {
    etcd.stop();
  }
}

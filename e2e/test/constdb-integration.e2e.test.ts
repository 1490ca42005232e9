// The original's integration test, done properly: 3 nodes in a full mesh; random INCR/DECR
// on random nodes sum correctly; sets and hashes equal a model; DEL mixed in between phases.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, checkConverged, type Cluster } from '@quorumkit/test-harness';
import { CONSTDB_CLI, client, dump, requireBuilt, rng, type NodeState } from './constdbUtil.js';

describe('constdb: 3-node integration against a model', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counters, sets, hashes and DELs converge to the model on every node', async () => {
    requireBuilt();
    const dataDir = mkdtempSync(join(tmpdir(), 'constdb-int-'));
    cluster = await startCluster({
      nodes: 3,
      dataDir,
      spec: (i, ports) => ({ command: process.execPath, args: [CONSTDB_CLI, '--node-id', String(i + 1), '--port', String(ports[i]![0]), '--work-dir', join(dataDir, `node${i}`), '--log-level', 'warn'] }),
      readyWhen: /ready on/,
    });
    const ports = cluster.ports.map((p) => p[0]!);
    const clients = ports.map(client);
    await Promise.all(clients.map((c) => c.connect()));
    try {
      expect(await clients[1]!.call('MEET', `127.0.0.1:${ports[0]}`)).toBe(1);
      expect(await clients[2]!.call('MEET', `127.0.0.1:${ports[1]}`)).toBe(1);
      // full mesh: every node learns every other through the handshakes
      await cluster.waitFor(async () => (await Promise.all(clients.map((c) => c.call('REPLICAS')))).every((r) => (r as unknown[]).length === 2), { timeoutMs: 30_000, what: 'full mesh' });

          const rnd = rng(12345);
      const counters = new Map<string, number>();
      const sets = new Map<string, Set<string>>();
      const hashes = new Map<string, Map<string, string>>();
      for (let phase = 0; phase < 3; phase++) {
        const writtenFields = new Set<string>();
        const addedThisPhase = new Set<string>();
        const ops: Array<() => Promise<unknown>> = [];
        for (let i = 0; i < 200; i++) {
          const c = clients[rnd(3)]!;
          const kind = rnd(4);
          if (kind <= 1) {
            const key = `c${rnd(3)}`;
            const by = rnd(2) === 0 ? 1 : -1;
            counters.set(key, (counters.get(key) ?? 0) + by);
            ops.push(() => (by > 0 ? c.incr(key) : c.decr(key)));
          } else if (kind === 2) {
            const key = `s${rnd(2)}`;
            const set = sets.get(key) ?? new Set<string>();
            sets.set(key, set);
            const m = `m${rnd(20)}`;
            if (set.has(m) && !addedThisPhase.has(`${key}/${m}`) && rnd(2) === 0) {
              set.delete(m);
              ops.push(() => c.srem(key, m));
            } else if (!set.has(m) || addedThisPhase.has(`${key}/${m}`)) {
              set.add(m);
              addedThisPhase.add(`${key}/${m}`);
              ops.push(() => c.sadd(key, m));
            }
          } else {
            const key = `h${rnd(2)}`;
            const f = `f${rnd(30)}`;
            if (writtenFields.has(`${key}/${f}`)) continue;
            writtenFields.add(`${key}/${f}`);
            const h = hashes.get(key) ?? new Map<string, string>();
            hashes.set(key, h);
            const v = `v${phase}-${i}`;
            h.set(f, v);
            ops.push(() => c.hset(key, f, v));
          }
        }
        // run the phase with 10 ops in flight at a time on random nodes
        for (let i = 0; i < ops.length; i += 10) await Promise.all(ops.slice(i, i + 10).map((f) => f()));
        const model = (): NodeState => {
          const m: NodeState = {};
          for (const [k, v] of counters) if (v !== undefined) m[k] = String(v);
          for (const [k, s] of sets) if (s.size) m[k] = [...s].sort();
          for (const [k, h] of hashes) if (h.size) m[k] = Object.fromEntries(h);
          return m;
        };
        await cluster.waitFor(async () => checkConverged(await Promise.all(ports.map(dump)), model()).ok, { timeoutMs: 30_000, what: `phase ${phase} converged` });
        // DEL after convergence: it has observed everything, so the keys are gone everywhere
        const victim = [`c${rnd(3)}`, `s${rnd(2)}`, `h${rnd(2)}`][phase]!;
        await clients[rnd(3)]!.del(victim);
        counters.delete(victim);
        sets.delete(victim);
        hashes.delete(victim);
        await cluster.waitFor(async () => checkConverged(await Promise.all(ports.map(dump)), model()).ok, { timeoutMs: 30_000, what: `DEL ${victim} replicated` });
      }
      const states = await Promise.all(ports.map(dump));
      const res = checkConverged(states);
      expect(res.diffs).toEqual([]);
      expect(Object.keys(states[0]!).length).toBeGreaterThanOrEqual(3);
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  });
});

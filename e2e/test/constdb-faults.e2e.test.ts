// Fault run: 3 nodes behind fault proxies; random ops on random nodes while a nemesis
// partitions, pauses, kills and restarts nodes. After the heal every node must hold the
// same value for every key, and that value must be what the CRDT semantics allow given
// which ops were acknowledged (acked INCRs all count, acked SREMs that removed stay
// removed, the last acked HSET of a field wins unless a later unconfirmed one did).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, runNemesis, checkConverged, type Cluster } from '@quorumkit/test-harness';
import { client, constdbSpec, dump, requireBuilt, rng } from './constdbUtil.js';

type Outcome = 'ok' | 'fail' | 'unknown';

function classify(e: unknown): Outcome {
  const m = String((e as Error)?.message ?? e);
  return /Stream isn't writeable|ECONNREFUSED|Connection is closed|enableOfflineQueue/.test(m) && !/timed out/.test(m) ? 'fail' : 'unknown';
}

describe('constdb: convergence under partitions, pauses, kills and restarts', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('every node ends equal, and equal to what the acknowledged ops imply', async () => {
    await faultRun(false);
  });

  it('without an AOF (crashes lose own ops) every node still ends equal', async () => {
    await faultRun(true);
  });

  /**
   * `lossy`: appendonly no and rare snapshots, so a kill loses the node's own recent ops;
   * then only convergence and "a failed write is absent" are checked (acknowledged writes
   * may be gone, see the constdb README).
   */
  async function faultRun(lossy: boolean): Promise<void> {
    requireBuilt();
    await cluster?.stop();
    const dataDir = mkdtempSync(join(tmpdir(), 'constdb-faults-'));
    cluster = await startCluster({ nodes: 3, proxies: true, dataDir, spec: (i, ports, link) => constdbSpec(i, ports, link, dataDir, 3, { lossy }), readyWhen: /ready on/ });
    const c = cluster;
    const port = (i: number) => c.ports[i]![0]!;
    const admin = client(port(0));
    await admin.connect();
    expect(await admin.call('MEET', `127.0.0.1:${c.link(0, 1)}`)).toBe(1);
    expect(await admin.call('MEET', `127.0.0.1:${c.link(0, 2)}`)).toBe(1);
    admin.disconnect();

    const clients = [0, 1, 2].map((i) => client(port(i)));
    await Promise.all(clients.map((x) => x.connect().catch(() => {})));
    const counters = new Map<string, { acked: number; unknown: number }>();
    const members = new Map<string, { add: Outcome; rem?: Outcome; removed?: boolean; key: string }>();
    const fields = new Map<string, Array<{ v: string; o: Outcome }>>();
    let stop = false;
        const rnd = rng(99);
    const run = async (cl: (typeof clients)[number], f: () => Promise<unknown>): Promise<[Outcome, unknown]> => {
      try {
        return ['ok', await f.call(cl)];
      } catch (e) {
        return [classify(e), undefined];
      }
    };
    const worker = async (w: number) => {
      let i = 0;
      const mine: string[] = [];
      while (!stop) {
        i++;
        const kind = rnd(4);
        if (kind <= 1) {
          const key = `cnt${rnd(3)}`;
          const cl = clients[rnd(3)]!;
          const [o] = await run(cl, () => cl.incr(key));
          const s = counters.get(key) ?? { acked: 0, unknown: 0 };
          counters.set(key, s);
          if (o === 'ok') s.acked++;
          else if (o === 'unknown') s.unknown++;
        } else if (kind === 2) {
          const cl = clients[rnd(3)]!;
          if (mine.length && rnd(3) === 0) {
            const m = mine.splice(rnd(mine.length), 1)[0]!;
            const rec = members.get(m)!;
            const [o, r] = await run(cl, () => cl.srem(rec.key, m));
            rec.rem = o;
            rec.removed = o === 'ok' && r === 1;
          } else {
            const m = `w${w}-${i}`;
            const key = `set${rnd(2)}`;
            const [o] = await run(cl, () => cl.sadd(key, m));
            members.set(m, { add: o, key });
            if (o === 'ok') mine.push(m);
          }
        } else {
          const cl = clients[w % 3]!;
          const f = `hash${w}/f${rnd(3)}`;
          const v = `v${i}`;
          const [o] = await run(cl, () => cl.hset(`hash${w}`, f.split('/')[1]!, v));
          const list = fields.get(f) ?? [];
          fields.set(f, list);
          list.push({ v, o });
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    const schedule = await runNemesis(c, { seed: Number(process.env.SEED ?? (lossy ? 8 : 7)), durationMs: lossy ? 8_000 : 12_000, intervalMs: [800, 2000], faults: ['partition', 'kill', 'pause'], maxDown: 1 }, (l) => console.log('nemesis', l));
    stop = true;
    await Promise.all(workers);
    clients.forEach((x) => x.disconnect());
    expect(schedule.length).toBeGreaterThan(2);

    let states: Awaited<ReturnType<typeof dump>>[] = [];
    await c
      .waitFor(
      async () => {
        try {
          states = await Promise.all([0, 1, 2].map((i) => dump(port(i))));
          return checkConverged(states).ok;
        } catch {
          return false;
        }
      },
        { timeoutMs: 60_000, intervalMs: 500, what: 'all nodes converged' },
      )
      .catch(async (e) => {
        console.log(checkConverged(states).diffs.slice(0, 10).join('\n'));
        for (const i of [0, 1, 2]) {
          const x = client(port(i));
          await x.connect().catch(() => {});
          console.log(`node ${i}:`, await x.info('replication').catch((err) => String(err)));
          x.disconnect();
          console.log(c.output(i).split('\n').filter((l) => /warn|error|full sync|gap/i.test(l)).slice(-15).join('\n'));
        }
        throw e;
      });
    const s = states[0]!;
    const problems: string[] = [];
    if (lossy) {
      for (const [m, r] of members) if (r.add === 'fail' && ((s[r.key] as string[] | undefined) ?? []).includes(m)) problems.push(`${m} present but its SADD failed`);
      expect(problems).toEqual([]);
      expect(members.size).toBeGreaterThan(10);
      return;
    }
    for (const [key, { acked, unknown }] of counters) {
      const v = Number(s[key] ?? 0);
      if (v < acked || v > acked + unknown) problems.push(`${key} = ${v}, acked ${acked}, unknown ${unknown}`);
    }
    for (const [m, r] of members) {
      const present = ((s[r.key] as string[] | undefined) ?? []).includes(m);
      if (r.add === 'fail' && present) problems.push(`${m} present but its SADD failed`);
      if (r.add === 'ok' && r.rem === undefined && !present) problems.push(`${m} missing`);
      if (r.removed && present) problems.push(`${m} present after an SREM that removed it`);
      if (r.add === 'ok' && r.rem === 'ok' && !r.removed && !present) problems.push(`${m} missing after a no-op SREM`);
    }
    for (const [f, writes] of fields) {
      const [h, field] = f.split('/') as [string, string];
      const got = (s[h] as Record<string, string> | undefined)?.[field];
      const lastOk = writes.map((x) => x.o).lastIndexOf('ok');
      const allowed = new Set(writes.slice(Math.max(0, lastOk)).filter((x, j) => (j === 0 && lastOk >= 0) || x.o === 'unknown').map((x) => x.v));
      if (lastOk < 0 && got === undefined) continue;
      if (got === undefined || !allowed.has(got)) problems.push(`${f} = ${got}, allowed ${[...allowed].join('|')}`);
    }
    expect(problems).toEqual([]);
    // tombstones of the SREMs are collected once every replica has them durably
    await c.waitFor(
      async () => {
        const x = client(port(1));
        await x.connect();
        const info = await x.info('stats');
        x.disconnect();
        return Number(/tombstones_collected:(\d+)/.exec(info)?.[1] ?? 0) > 0;
      },
      { timeoutMs: 30_000, what: 'tombstones collected' },
    );
    expect(counters.size).toBeGreaterThan(0);
    expect(members.size).toBeGreaterThan(10);
  }
});

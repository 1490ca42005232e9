// KeyDB's active-replication bugs as regressions (#83/#390/#442: deleted keys coming back,
// counters diverging over restarts), plus WAIT and FORGET, on 3 real nodes behind proxies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '@quorumkit/test-harness';
import { call, client, startMeshedCluster } from './constdbUtil.js';

describe('constdb: KeyDB regressions, WAIT, FORGET', () => {
  let cluster: Cluster;
  const port = (i: number) => cluster.ports[i]![0]!;
  const cmd = (i: number, ...args: string[]): Promise<unknown> => call(port(i), ...args);
  const everywhere = async (args: string[], want: unknown, nodes = [0, 1, 2]) => {
    await cluster.waitFor(async () => {
      for (const i of nodes) if (JSON.stringify(await cmd(i, ...args).catch(() => 'down')) !== JSON.stringify(want)) return false;
      return true;
    }, { timeoutMs: 30_000, what: `${args.join(' ')} = ${JSON.stringify(want)} on ${nodes.join(',')}` });
  };

  beforeAll(async () => {
    cluster = await startMeshedCluster('constdb-cluster');
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('WAIT returns how many replicas acknowledged the last write', async () => {
    const c = client(port(0));
    await c.connect();
    try {
      await c.set('w', '1');
      expect(await c.call('WAIT', '2', '10000')).toBe(2);
      cluster.partition([[0], [1, 2]]);
      await c.set('w', '2');
      expect(await c.call('WAIT', '1', '300')).toBe(0);
      cluster.heal();
      expect(await c.call('WAIT', '2', '20000')).toBe(2);
    } finally {
      c.disconnect();
    }
  });

  it('a DEL during a partition does not come back after the heal or after restarts (KeyDB #83/#390)', async () => {
    await cmd(0, 'SET', 'gone', 'v');
    await cmd(0, 'SADD', 'gset', 'a', 'b');
    await everywhere(['GET', 'gone'], 'v');
    await everywhere(['SCARD', 'gset'], 2);
    cluster.partition([[0], [1, 2]]);
    expect(await cmd(1, 'DEL', 'gone', 'gset')).toBe(2);
    expect(await cmd(0, 'GET', 'gone')).toBe('v');
    cluster.heal();
    await everywhere(['GET', 'gone'], null);
    await everywhere(['EXISTS', 'gset'], 0);
    // node 0 held the key during the partition: kill it and bring it back
    await cluster.restart(0, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await everywhere(['GET', 'gone'], null);
    await everywhere(['EXISTS', 'gset'], 0);
    for (const i of [0, 1, 2]) await cluster.restart(i, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await everywhere(['GET', 'gone'], null);
    // and SET after DEL is visible (the seed's bug)
    await cmd(2, 'SET', 'gone', 'back');
    await everywhere(['GET', 'gone'], 'back');
  });

  it('INCRs on two nodes with a restart in the middle converge to the sum (KeyDB #442)', async () => {
    let acked = 0;
    const inc = async (i: number) => {
      try {
        await cmd(i, 'INCR', 'sum');
        acked++;
      } catch {
        // node down: not counted (appendfsync always: an acked INCR is durable)
      }
    };
    for (let k = 0; k < 30; k++) await Promise.all([inc(0), inc(1)]);
    await cluster.restart(1, 'SIGKILL');
    for (let k = 0; k < 30; k++) await Promise.all([inc(0), inc(1)]);
    expect(acked).toBe(120);
    await everywhere(['GET', 'sum'], '120');
  });

  it('FORGET removes a node everywhere and it stops replicating', async () => {
    const id3 = '3';
    expect(await cmd(0, 'FORGET', id3)).toBe(1);
    await cluster.waitFor(async () => {
      const r0 = JSON.stringify(await cmd(0, 'REPLICAS'));
      const r1 = JSON.stringify(await cmd(1, 'REPLICAS'));
      const r2 = (await cmd(2, 'REPLICAS')) as unknown[];
      return !r0.includes('"3"') && !r1.includes('"3"') && r2.length === 0;
    }, { timeoutMs: 30_000, what: 'node 3 forgotten' });
    await cmd(2, 'SET', 'island', 'x');
    await cmd(0, 'SET', 'mainland', 'y');
    await everywhere(['GET', 'mainland'], 'y', [0, 1]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await cmd(0, 'GET', 'island')).toBeNull();
    expect(await cmd(2, 'GET', 'mainland')).toBeNull();
  });
});

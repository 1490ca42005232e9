// constdb membership (issue 20 item 2) on real processes: FORGET while the other nodes are
// down still reaches them (membership is replicated, durable and gossiped), a forgotten node
// is kept out by every member, and MEET — from the cluster's side or from the forgotten
// node's side — brings it back everywhere, without the keys deleted meanwhile coming back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '@quorumkit/test-harness';
import { call, dump, startMeshedCluster } from './constdbUtil.js';

describe('constdb: membership is replicated state', () => {
  let cluster: Cluster;
  const port = (i: number) => cluster.ports[i]![0]!;
  const cmd = (i: number, ...args: string[]): Promise<unknown> => call(port(i), ...args);
  const replicas = async (i: number): Promise<string[]> => {
    const r = (await cmd(i, 'REPLICAS').catch(() => [])) as unknown[];
    return r.map((e) => String((e as unknown[])[0] ?? e)).sort();
  };
  const infoField = async (i: number, field: string, section = 'replication'): Promise<string | undefined> =>
    new RegExp(`^${field}:(.*)$`, 'm').exec(String(await cmd(i, 'INFO', section).catch(() => '')))?.[1]?.trim();
  const until = (what: string, cond: () => Promise<boolean>) =>
    cluster.waitFor(cond, { timeoutMs: 30_000, what }).catch(async (e: Error) => {
      for (const i of [0, 1, 2]) console.error(`node ${i}: ${JSON.stringify(await dump(port(i)).catch((x: Error) => x.message))}\n${String(await cmd(i, 'INFO', 'replication').catch(() => 'down'))}\n${String(await cmd(i, 'INFO', 'stats').catch(() => 'down'))}`);
      throw e;
    });
  const same = (nodes: number[]) =>
    until(`same state on ${nodes.join(',')}`, async () => {
      const states = await Promise.all(nodes.map((i) => dump(port(i)).catch(() => 'down')));
      return states.every((s) => JSON.stringify(s) === JSON.stringify(states[0]));
    });

  beforeAll(async () => {
    cluster = await startMeshedCluster('constdb-members');
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('FORGET while the others are down reaches them when they come back', async () => {
    await cmd(0, 'SET', 'before', 'x');
    await cmd(2, 'SADD', 'old3', 'm');
    await same([0, 1, 2]);
    await cmd(2, 'SAVE'); // node 3 keeps what it received across the kill below
    await cluster.kill(1, 'SIGKILL');
    await cluster.kill(2, 'SIGKILL');
    expect(await cmd(0, 'FORGET', '3')).toBe(1);
    await cluster.start(1);
    await cluster.start(2);
    // node 2 learns the forget from node 1 (it was down when it happened)
    await until('node 2 dropped node 3', async () => JSON.stringify(await replicas(1)) === JSON.stringify(['1']));
    // and node 3 learns it was forgotten
    await until('node 3 knows it was forgotten', async () => (await infoField(2, 'forgotten')) === '1');
    expect(await replicas(2)).toEqual([]);
    // node 3's writes now reach no member
    await cmd(2, 'SET', 'from3', 'w');
    await cmd(0, 'SET', 'marker', '1');
    await until('marker on node 2', async () => (await cmd(1, 'GET', 'marker')) === '1');
    expect(await cmd(0, 'GET', 'from3')).toBeNull();
    expect(await cmd(1, 'GET', 'from3')).toBeNull();
    await same([0, 1]);
    // a restart of the forgotten node keeps it out (durable on every side)
    await cluster.restart(2, 'SIGKILL');
    await until('node 3 still forgotten after its restart', async () => (await infoField(2, 'forgotten')) === '1');
    expect(await replicas(0)).toEqual(['2']);
  });

  it('MEET from the cluster side brings the node back without the keys deleted meanwhile', async () => {
    // deleted while node 3 is out, tombstones collected without waiting for node 3
    await cmd(0, 'DEL', 'before', 'old3');
    await until('tombstones collected', async () => {
      for (const i of [0, 1]) if ((await cmd(i, 'EXISTS', 'before')) !== 0 || (await infoField(i, 'tombstones_pending', 'stats')) !== '0') return false;
      return true;
    });
    expect(await cmd(2, 'GET', 'before')).toBe('x');
    expect(await cmd(0, 'MEET', `127.0.0.1:${cluster.link(0, 2)}`)).toBe(1);
    await until('full mesh again', async () => {
      for (const i of [0, 1, 2]) if ((await replicas(i)).length !== 2) return false;
      return true;
    });
    await same([0, 1, 2]);
    expect(await cmd(2, 'GET', 'before')).toBeNull();
    expect(await cmd(2, 'EXISTS', 'old3')).toBe(0);
    expect(await infoField(2, 'forgotten')).toBe('0');
    await cmd(2, 'INCR', 'after3');
    await until('node 3 replicates again', async () => (await cmd(0, 'GET', 'after3')) === '1' && (await cmd(1, 'GET', 'after3')) === '1');
  });

  it('MEET from the forgotten node itself lifts the forget everywhere', async () => {
    expect(await cmd(1, 'FORGET', '3')).toBe(1);
    await until('forget everywhere', async () =>
      (await infoField(2, 'forgotten')) === '1' && (await replicas(0)).length === 1 && (await replicas(1)).length === 1);
    await cmd(0, 'SET', 'while-out', 'v');
    expect(await cmd(2, 'MEET', `127.0.0.1:${cluster.link(2, 0)}`)).toBe(1);
    await until('full mesh again', async () => {
      for (const i of [0, 1, 2]) if ((await replicas(i)).length !== 2) return false;
      return true;
    });
    await same([0, 1, 2]);
    expect(await cmd(2, 'GET', 'while-out')).toBe('v');
  });
});

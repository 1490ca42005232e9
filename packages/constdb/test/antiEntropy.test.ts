// Issue 20 item 3: replicas compare digests periodically and pull the records that differ,
// so a divergence from any cause heals by itself. Pure: digests are canonical (same records,
// any write order, same digest) and find the differing bucket. Real processes: a hand-made
// replica streams an op to node 1 only (node 2 never gets it from its origin, and node 1
// forwards only its own ops); anti-entropy brings it to node 2, and INFO shows the comparison.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '@quorumkit/test-harness';
import { TestNode } from './helpers.js';
import { bucketOf, DigestIndex } from '../src/core/digest.js';
import { keyClone } from '../src/core/keyrec.js';
import { encodeOp } from '../src/core/codec.js';
import { F, frame } from '../src/server/replFrames.js';
import { RawClient, startConstdb, type Proc } from './proc.js';
import { fakePeerListener, handshakeAccepted, type FakePeer } from './fakePeer.js';

function digestOf(n: TestNode): DigestIndex {
  const d = new DigestIndex();
  for (const k of n.db.keys.keys()) d.touch(k);
  expect(d.refresh(n.db.keys, 1e9)).toBe(true);
  return d;
}

describe('anti-entropy digests', () => {
  it('the same records reached in different orders give the same digest; a difference names its bucket', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    const c = new TestNode(3);
    a.run('SADD', 's', 'x', 'y');
    b.run('HSET', 'h', 'f', '1', 'g', '2');
    b.run('INCRBY', 'n', '5');
    a.run('INCRBY', 'n', '7');
    c.run('SET', 'k', 'v');
    const ops = [...a.emitted, ...b.emitted, ...c.emitted];
    const x = new TestNode(4);
    const y = new TestNode(5);
    for (const [k, d] of ops) x.db.join(k, keyClone(d));
    for (const [k, d] of [...ops].reverse()) y.db.join(k, keyClone(d));
    expect(digestOf(x).differing(digestOf(y).encode())).toEqual([]);
    // incremental upkeep equals a fresh computation
    expect(x.db.digest.refresh(x.db.keys, 1e9)).toBe(true);
    expect(x.db.digest.differing(digestOf(x).encode())).toEqual([]);
    y.run('SADD', 's', 'z');
    expect(y.db.digest.refresh(y.db.keys, 1e9)).toBe(true);
    expect(x.db.digest.differing(y.db.digest.encode())).toEqual([bucketOf('s')]);
  });
});

describe('anti-entropy between real nodes', () => {
  let n1: Proc;
  let n2: Proc;
  let c1: RawClient;
  let c2: RawClient;
  let fake: FakePeer | undefined;
  beforeAll(async () => {
    const [p1, p2] = await freePorts(2);
    const opts = ['--anti-entropy-interval-ms', '200', '--replica-heartbeat-frequency', '0.2'];
    n1 = await startConstdb(p1!, ['--node-id', '1', ...opts]);
    n2 = await startConstdb(p2!, ['--node-id', '2', ...opts]);
    c1 = await RawClient.open(p1!);
    c2 = await RawClient.open(p2!);
    expect(await c1.call('MEET', `127.0.0.1:${p2}`)).toBe(1n);
  }, 60_000);
  afterAll(async () => {
    c1?.close();
    c2?.close();
    await fake?.close();
    await n1?.stop('SIGKILL');
    await n2?.stop('SIGKILL');
  });

  async function until(cond: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const infoNum = async (c: RawClient, field: string): Promise<number> =>
    Number(new RegExp(`${field}:(-?\\d+)`).exec((await c.call('INFO', 'replication')) as string)?.[1] ?? NaN);

  it('an op that reached only node 1 reaches node 2 through digest comparison', async () => {
    fake = await fakePeerListener(9);
    const h = await handshakeAccepted(n1.port, ['9', '127.0.0.1', String(fake.port), '', '0', 'peer9', '-']);
    const u = (BigInt(Date.now()) << 22n) + 5n;
    h.sock.write(frame(F.OP, encodeOp(1n, 'only-on-1', { str: { regs: new Map([[9, { u, v: Buffer.from('healed') }]]) } })));
    await until(async () => (await c1.call('GET', 'only-on-1')) === 'healed', 'op applied on node 1');
    h.sock.destroy();
    await until(async () => (await c2.call('GET', 'only-on-1')) === 'healed', 'anti-entropy repaired node 2');
    expect(await infoNum(c2, 'anti_entropy_rounds_with_difference')).toBeGreaterThanOrEqual(1);
    expect(await infoNum(c2, 'anti_entropy_records_repaired')).toBeGreaterThanOrEqual(1);
    // afterwards the comparisons find nothing to repair
    await until(async () => (await infoNum(c2, 'anti_entropy_last_differing_buckets')) === 0 && (await infoNum(c1, 'anti_entropy_last_differing_buckets')) === 0, 'digests equal');
    expect(await infoNum(c2, 'anti_entropy_last_ms_ago')).toBeGreaterThanOrEqual(0);
  });
});

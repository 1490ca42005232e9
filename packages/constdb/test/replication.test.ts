// The replication stream against a real node, driven by a hand-made peer: ops are applied
// exactly once, duplicates dropped, a gap closes the stream (the peer must resync).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { freePorts } from '@quorumkit/test-harness';
import { RawClient, startConstdb, type Proc } from './proc.js';
import { TestNode } from './helpers.js';
import { Writer, encodeOp, writeKeyRec } from '../src/core/codec.js';
import { F, frame, FrameReader } from '../src/server/replFrames.js';
import { fakePeerListener, handshakeAccepted, type FakePeer } from './fakePeer.js';

function resp(args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
}

describe('replication stream (exactly once, gap detection)', () => {
  let node: Proc;
  let client: RawClient;
  beforeAll(async () => {
    const [port] = await freePorts(1);
    node = await startConstdb(port!, ['--node-id', '1']);
    client = await RawClient.open(port!);
  });
  const fakes: FakePeer[] = [];
  afterAll(async () => {
    for (const f of fakes) await f.close();
    client?.close();
    await node?.stop('SIGKILL');
  });

  it('applies in-order ops once, drops duplicates, closes on a gap', async () => {
    const peer = new TestNode(2);
    peer.run('SET', 'k1', 'v1');
    peer.run('INCR', 'n');
    peer.run('SADD', 's', 'a');
    const ops = peer.emitted.map(([k, d], i) => frame(F.OP, encodeOp(BigInt(i + 1), k, d)));

    const fake = await fakePeerListener(2);
    fakes.push(fake);
    const h = await handshakeAccepted(node.port, ['2', '127.0.0.1', String(fake.port), '', '0', 'peer2', '-']);
    const sock: Socket = h.sock;
    const line = h.line;
    const acks: bigint[] = [];
    const reader = new FrameReader();
    let closed = false;
    sock.on('close', () => (closed = true));
    const onFrames = (d: Buffer) =>
      reader.feed(d, (type, payload) => {
        if (type === F.ACK) acks.push(payload.readBigUInt64LE(0));
      });
    sock.on('data', onFrames);
    if (h.rest.length) onFrames(h.rest);
    const until = async (cond: () => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    expect(line).toMatch(/^\+SYNC 1 0 /);
    sock.write(Buffer.concat([ops[0]!, ops[1]!]));
    await until(() => acks.includes(2n), 'ack of op 2');
    sock.write(ops[0]!); // duplicate
    sock.write(ops[1]!); // duplicate
    let info1 = '';
    const deadline = Date.now() + 10_000;
    while (!/duplicates_dropped:2/.test(info1) && Date.now() < deadline) {
      info1 = (await client.call('INFO', 'replication')) as string;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await client.call('GET', 'k1')).toBe('v1');
    expect(await client.call('GET', 'n')).toBe('1');
    expect(info1).toMatch(/duplicates_dropped:2/);
    expect(info1).toMatch(/ops_applied:2/);
    // skip op 3: op 4 is a gap
    const gap = frame(F.OP, encodeOp(4n, 'x', peer.emitted[0]![1]));
    sock.write(gap);
    await until(() => closed, 'stream closed on the gap');
    const info2 = (await client.call('INFO', 'replication')) as string;
    expect(info2).toMatch(/gaps_detected:1/);
    expect(await client.call('EXISTS', 'x')).toBe(0n);
    expect(await client.call('SMEMBERS', 's')).toEqual([]);
  });

  it("an EXEC unit is applied whole: a stream cut mid-unit applies none of it, the resend applies all", async () => {
    const peer = new TestNode(3);
    peer.run('MULTI');
    peer.run('SET', 'u1', 'a');
    peer.run('SET', 'u2', 'b');
    peer.run('SET', 'u3', 'c');
    peer.run('EXEC');
    expect(peer.emitted).toHaveLength(3);
    const frames = peer.emitted.map(([k, d], i) => frame(i < 2 ? F.OP_MORE : F.OP, encodeOp(BigInt(i + 1), k, d)));
    const fake = await fakePeerListener(3);
    fakes.push(fake);
    const open = async () => {
      const h = await handshakeAccepted(node.port, ['3', '127.0.0.1', String(fake.port), '', '0', 'peer3', '-']);
      expect(h.line).toMatch(/^\+SYNC 1 /);
      return h.sock;
    };
    const s1 = await open();
    s1.write(Buffer.concat([frames[0]!, frames[1]!]));
    // a PING on the client port after the frames: the node has read them by the time it answers
    expect(await client.call('PING')).toBe('PONG');
    await new Promise((r) => setTimeout(r, 200));
    expect(await client.call('EXISTS', 'u1', 'u2')).toBe(0n);
    s1.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await client.call('EXISTS', 'u1', 'u2', 'u3')).toBe(0n);
    const s2 = await open();
    s2.write(Buffer.concat(frames));
    const deadline = Date.now() + 10_000;
    while ((await client.call('EXISTS', 'u1', 'u2', 'u3')) !== 3n) {
      if (Date.now() > deadline) throw new Error('unit never applied');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await client.call('MGET', 'u1', 'u2', 'u3')).toEqual(['a', 'b', 'c']);
    s2.destroy();
  });

  it('garbage on the peer port never harms the node', async () => {
    for (const bad of [
      resp(['CONSTDB.SYNC', 'x', 'h', 'p', '', 'zz', 'a', '-']),
      resp(['CONSTDB.SYNC']),
      resp(['CONSTDB.SYNC', '7', '127.0.0.1', '1', '', '0', 'p7']), // no lost ranges
      resp(['CONSTDB.SYNC', '7', '127.0.0.1', '1', '', '0', 'p7', '5-']), // malformed lost ranges
      resp(['CONSTDB.SYNC', '9', '127.0.0.1', '1', '', '0', 'p9', '-']), // unverifiable: refused
    ]) {
      const sock = connect({ host: '127.0.0.1', port: node.port });
      sock.on('error', () => {});
      await new Promise<void>((res) => sock.once('connect', () => res()));
      sock.write(bad);
      await new Promise<void>((res) => {
        sock.once('close', () => res());
        setTimeout(() => {
          sock.destroy();
          res();
        }, 1000);
      });
    }
    // garbage after an accepted handshake (peer 2 is a verified replica by now)
    const fake2 = fakes[0]!;
    for (const bad of [Buffer.from([10, 255, 255, 255, 255, 1, 2, 3]), frame(F.OP, Buffer.from('not an op at all'))]) {
      const h = await handshakeAccepted(node.port, ['2', '127.0.0.1', String(fake2.port), '', '0', 'peer2', '-']);
      const sock = h.sock;
      sock.write(bad);
      await new Promise<void>((res) => {
        sock.once('close', () => res());
        setTimeout(() => {
          sock.destroy();
          res();
        }, 1000);
      });
    }
    expect(await client.call('PING')).toBe('PONG');
    expect(await client.call('GET', 'k1')).toBe('v1');
  });
  it('an empty full sync is acknowledged at once (no snapshot of this keyspace); one that merges records takes the snapshot path', async () => {
    const fake = await fakePeerListener(4);
    fakes.push(fake);
    const h = await handshakeAccepted(node.port, ['4', '127.0.0.1', String(fake.port), '', '0', 'peer4', '-']);
    const sock: Socket = h.sock;
    let done = 0;
    const reader = new FrameReader();
    const onFrames = (d: Buffer) =>
      reader.feed(d, (type) => {
        if (type === F.SNAP_DONE) done++;
      });
    sock.on('data', onFrames);
    if (h.rest.length) onFrames(h.rest);
    const field = async (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec((await client.call('INFO')) as string)?.[1] ?? NaN);
    const until = async (cond: () => Promise<boolean> | boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const begin = Buffer.alloc(16);
    begin.writeBigUInt64LE(0n, 0);
    begin.writeBigUInt64LE(0n, 8);
    // (rdb_saves is no measure here: the node's own link to this fake peer snapshots before each attempt)
    sock.write(Buffer.concat([frame(F.SNAP_BEGIN, begin), frame(F.SNAP_END, Buffer.alloc(0))]));
    await until(() => done === 1, 'SNAP_DONE of the empty sync');
    expect(await field('empty_full_syncs_merged')).toBe(1);

    const peer = new TestNode(4);
    peer.run('SET', 'fromsync', 'v4');
    const w = new Writer(64);
    w.latin1('fromsync');
    writeKeyRec(w, peer.db.keys.get('fromsync')!);
    sock.write(Buffer.concat([frame(F.SNAP_BEGIN, begin), frame(F.SNAP_CHUNK, w.result()), frame(F.SNAP_END, Buffer.alloc(0))]));
    await until(() => done === 2, 'SNAP_DONE of the sync with a record');
    // merged records take the snapshot path (made durable before the sender is told)
    expect(await field('empty_full_syncs_merged')).toBe(1);
    expect(await client.call('GET', 'fromsync')).toBe('v4');
    sock.destroy();
  });
});

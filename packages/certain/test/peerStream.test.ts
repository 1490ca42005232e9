// Issue 21 step 2: protocol messages over one long-lived stream per peer. Checked: everything
// queued in one turn leaves as one frame, in order; a peer that comes up later gets the
// stream (reopened with backoff); the queue for a down peer is bounded (oldest dropped); bad
// frames and unknown senders change nothing and the stream's server keeps serving; under mTLS
// a sender without a client certificate delivers nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsReloader } from '@quorumkit/shared-transport';
import { freePorts, makeTestPki, opensslAvailable, type TestPki } from '@quorumkit/test-harness';
import { GrpcTransport, type PeerMsg, type TransportHandlers } from '../src/index.js';
import { PeerFrameError, PeerStreamSender, packFrame, unpackFrame } from '../src/server/peerStream.js';
import { certainProtoPath } from '../src/server/protoPaths.js';
import { peerMsgCodec } from '../src/storage/codec.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const msg = (n: number): PeerMsg => ({ kind: 'catchUpReq', srcAcceptorId: 0, entityId: BigInt(n), fromEntry: 1n, maxNum: 10 });

async function until(what: string, f: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Replica `id`'s transport of a 3-replica cluster on `addrs`, recording what it receives. */
async function node(id: number, addrs: string[], opts: { tls?: TlsReloader } = {}): Promise<{ t: GrpcTransport; got: { from: number; n: number }[] }> {
  const got: { from: number; n: number }[] = [];
  const handlers: TransportHandlers = {
    onMessage: (from, m) => void got.push({ from, n: m.kind === 'catchUpReq' ? Number(m.entityId) : -1 }),
    onGetAllPage: () => Promise.reject(new Error('not here')),
  };
  const t = await GrpcTransport.start({ acceptorId: id, acceptorNum: 3, route: { peerAddress: (i) => addrs[i]! }, handlers, ...opts });
  closers.push(() => t.close());
  return { t, got };
}

describe('peer frames', () => {
  it('pack and unpack every message; a frame that does not add up keeps the good ones and is refused', () => {
    const ms = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([9])];
    const body = packFrame(ms, 4);
    const out: number[][] = [];
    unpackFrame(body, (m) => void out.push([...m]));
    expect(out).toEqual([[1, 2, 3], [], [9]]);
    const cut: number[][] = [];
    expect(() => unpackFrame(body.subarray(0, body.length - 1), (m) => void cut.push([...m]))).toThrow(PeerFrameError);
    expect(cut).toEqual([[1, 2, 3], []]);
  });
});

describe('peer streams', () => {
  it('everything sent in one turn leaves in one frame, in order, over one stream', async () => {
    const addrs = (await freePorts(3)).map((p) => `127.0.0.1:${p}`);
    const a = await node(0, addrs);
    const b = await node(1, addrs);
    for (let n = 0; n < 2000; n++) a.t.send(1, msg(n));
    await until('2000 messages', () => b.got.length === 2000);
    expect(b.got.map((g) => g.n)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(b.got.every((g) => g.from === 0)).toBe(true);
    for (let round = 0; round < 20; round++) {
      for (let n = 0; n < 10; n++) a.t.send(1, msg(10_000 + round * 10 + n));
      await new Promise((r) => setTimeout(r, 2));
    }
    await until('200 more', () => b.got.length === 2200);
    expect(b.t.streamStats.streams).toBe(1);
    // 2000 in one turn: a frame each 1 MiB at most, so a handful; then at most one per round
    expect(b.t.streamStats.frames).toBeLessThanOrEqual(1 + 20);
    expect(b.t.streamStats.bad).toBe(0);
  }, 60_000);

  it('a peer that comes up later gets the stream; a down peer\'s queue is bounded, oldest dropped', async () => {
    const ports = await freePorts(3);
    const addrs = ports.map((p) => `127.0.0.1:${p}`);
    const s = new PeerStreamSender({ address: addrs[1]!, from: 0, protoPath: certainProtoPath('certain.proto'), queueCountMax: 100, reconnectBackoffMaxMs: 200 });
    closers.push(() => s.close());
    for (let n = 0; n < 50; n++) s.send(peerMsgCodec.encode(msg(n)));
    await until('the first stream failed', () => s.stats.streamsFailed >= 1);
    // while it is down only the newest queueCountMax wait
    for (let n = 0; n < 1000; n++) s.send(peerMsgCodec.encode(msg(n)));
    expect(s.queued).toBeLessThanOrEqual(100);
    expect(s.stats.messagesDropped).toBeGreaterThanOrEqual(900);
    const b = await node(1, addrs);
    await until('a message after the peer came up', () => {
      s.send(peerMsgCodec.encode(msg(5000)));
      return b.got.some((g) => g.n === 5000);
    });
    // the dropped ones never leave (what waited went into streams that failed, or came through)
    expect(b.got.some((g) => g.n < 900)).toBe(false);
    expect(s.stats.streamsOpened).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('garbage messages, frames from unknown peers and cut frames change nothing; the listener keeps serving', async () => {
    const addrs = (await freePorts(3)).map((p) => `127.0.0.1:${p}`);
    const b = await node(1, addrs);
    const stranger = new PeerStreamSender({ address: addrs[1]!, from: 7, protoPath: certainProtoPath('certain.proto') });
    closers.push(() => stranger.close());
    stranger.send(peerMsgCodec.encode(msg(1)));
    const self = new PeerStreamSender({ address: addrs[1]!, from: 1, protoPath: certainProtoPath('certain.proto') });
    closers.push(() => self.close());
    self.send(peerMsgCodec.encode(msg(2)));
    const ok = new PeerStreamSender({ address: addrs[1]!, from: 2, protoPath: certainProtoPath('certain.proto') });
    closers.push(() => ok.close());
    ok.send(new Uint8Array([0xff, 0xfe, 0xfd])); // not a peer message
    ok.send(peerMsgCodec.encode(msg(3)));
    await until('the good message', () => b.got.length >= 1);
    await until('both strangers refused', () => b.t.streamStats.bad >= 3);
    expect(b.got).toEqual([{ from: 2, n: 3 }]);
    ok.send(peerMsgCodec.encode(msg(4)));
    await until('the next one', () => b.got.length === 2);
  }, 60_000);
});

const hasOpenssl = opensslAvailable();
let pki: TestPki;
beforeAll(async () => {
  if (hasOpenssl) pki = await makeTestPki();
}, 60_000);
afterAll(() => pki?.remove());

describe.runIf(hasOpenssl)('peer streams over mutual TLS', () => {
  it('a peer with the cluster certificate delivers; one without a client certificate delivers nothing', async () => {
    const addrs = (await freePorts(3)).map((p) => `127.0.0.1:${p}`);
    const tls = new TlsReloader({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true });
    const a = await node(0, addrs, { tls });
    const b = await node(1, addrs, { tls });
    const anonymous = new PeerStreamSender({ address: addrs[1]!, from: 2, protoPath: certainProtoPath('certain.proto'), tls: { ca: pki.ca.cert }, reconnectBackoffMaxMs: 100 });
    closers.push(() => anonymous.close());
    const plain = new PeerStreamSender({ address: addrs[1]!, from: 2, protoPath: certainProtoPath('certain.proto'), reconnectBackoffMaxMs: 100 });
    closers.push(() => plain.close());
    a.t.send(1, msg(1));
    await until('the authenticated message', () => b.got.length === 1);
    for (let k = 0; k < 5; k++) {
      anonymous.send(peerMsgCodec.encode(msg(100 + k)));
      plain.send(peerMsgCodec.encode(msg(200 + k)));
      await new Promise((r) => setTimeout(r, 150));
    }
    await until('their streams failed', () => anonymous.stats.streamsFailed >= 2 && plain.stats.streamsFailed >= 2);
    expect(b.got).toEqual([{ from: 0, n: 1 }]);
    expect(b.t.streamStats.streams).toBe(1);
  }, 60_000);
});

import { afterEach, describe, expect, it } from 'vitest';
import {
  bytesCodec,
  createGrpcServer,
  jsonCodec,
  MessageTooLargeError,
  PeerLink,
  peerLinkService,
  type GrpcServer,
  type PeerLinkReceiverOptions,
} from '../src/index.js';
import { waitFor } from './helpers.js';

const servers: GrpcServer[] = [];
const links: PeerLink<any>[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function receiver<M>(opts: PeerLinkReceiverOptions<M>, address?: string) {
  const spec = peerLinkService(opts);
  const server = await createGrpcServer({ extraServices: [spec], address });
  servers.push(server);
  return { server, stats: spec.stats };
}

function link<M>(l: PeerLink<M>): PeerLink<M> {
  links.push(l);
  return l;
}

describe('PeerLink', () => {
  it('carries many messages per call and delivers them in order', async () => {
    const got: { n: number; from: string }[] = [];
    const { server, stats } = await receiver<{ n: number }>({ onMessage: (m, from) => void got.push({ n: m.n, from }) });
    const l = link(new PeerLink<{ n: number }>({ address: server.address, from: 'node-1', batchCountMax: 64, inFlightMax: 4 }));
    const total = 2_000;
    for (let n = 0; n < total; n++) expect(l.send({ n })).toBe(true);
    await l.flush();
    expect(got.map((g) => g.n)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(got.every((g) => g.from === 'node-1')).toBe(true);
    expect(l.stats.messagesDelivered).toBe(total);
    // one call per 64 messages: 2000 / 64 -> 32 calls, far fewer than 2000
    expect(l.stats.calls).toBe(Math.ceil(total / 64));
    expect(stats.batches).toBe(l.stats.calls);
    expect(stats.messagesDelivered).toBe(total);
  });

  it('keeps order with several calls in flight, sends spread over time and a slow async handler', async () => {
    const got: number[] = [];
    const { server } = await receiver<number>({
      onMessage: async (n) => {
        if (n % 7 === 0) await new Promise((r) => setTimeout(r, 1 + (n % 5)));
        got.push(n);
      },
    });
    const l = link(new PeerLink<number>({ address: server.address, from: 'a', batchCountMax: 8, inFlightMax: 8 }));
    let n = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 1 + (round % 9); i++) l.send(n++);
      await new Promise((r) => setTimeout(r, round % 3));
    }
    await l.flush();
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(l.stats.batchesAbandoned).toBe(0);
  });

  it('bounds each batch in bytes (batchBytesMax)', async () => {
    const sizes: number[] = [];
    const { server, stats } = await receiver<Uint8Array>({ codec: bytesCodec, onMessage: (m) => void sizes.push(m.byteLength) });
    const l = link(new PeerLink<Uint8Array>({ address: server.address, from: 'a', codec: bytesCodec, batchBytesMax: 1_000 }));
    for (let i = 0; i < 100; i++) l.send(new Uint8Array(100).fill(i));
    await l.flush();
    expect(sizes.length).toBe(100);
    expect(stats.batches).toBe(10); // 10 x 100 bytes per batch
    expect(() => l.send(new Uint8Array(1_001))).toThrow(MessageTooLargeError);
  });

  it('refuses messages beyond queueCountMax and counts them as dropped', async () => {
    const { server } = await receiver<number>({ onMessage: () => {} });
    const l = link(new PeerLink<number>({ address: server.address, from: 'a', queueCountMax: 10 }));
    const results = Array.from({ length: 15 }, (_, i) => l.send(i));
    expect(results.filter((r) => !r).length).toBe(5);
    expect(l.stats.messagesDropped).toBe(5);
    await l.flush();
    expect(l.stats.messagesDelivered).toBe(10);
  });

  it('retries through a receiver restart (reconnect) and delivers what was queued', async () => {
    const first: number[] = [];
    const { server } = await receiver<number>({ onMessage: (n) => void first.push(n) });
    const address = server.address;
    const l = link(new PeerLink<number>({ address, from: 'a', retryAttemptsMax: 50, backoffBaseMs: 20, backoffMaxMs: 200 }));
    l.send(1);
    await l.flush();
    await server.close();
    for (let n = 2; n <= 6; n++) l.send(n);
    await waitFor(() => l.stats.callsFailed > 0);
    const second: number[] = [];
    await receiver<number>({ onMessage: (n) => void second.push(n) }, address);
    await l.flush();
    expect(first).toEqual([1]);
    expect(second).toEqual([2, 3, 4, 5, 6]);
    expect(l.stats.messagesDelivered).toBe(6);
    expect(l.stats.batchesAbandoned).toBe(0);
  });

  it('abandons a batch after retryAttemptsMax when the peer stays down', async () => {
    const { server } = await receiver<number>({ onMessage: () => {} });
    const address = server.address;
    await server.close();
    const l = link(new PeerLink<number>({ address, from: 'a', retryAttemptsMax: 2, backoffBaseMs: 5, callDeadlineMs: 2_000 }));
    for (let n = 0; n < 5; n++) l.send(n);
    await l.flush();
    expect(l.stats.messagesAbandoned).toBe(5);
    expect(l.stats.calls).toBe(2);
    expect(l.stats.messagesDelivered).toBe(0);
  });

  it('a failing handler or undecodable message does not stop delivery', async () => {
    const got: number[] = [];
    const errors: unknown[] = [];
    const { server, stats } = await receiver<number>({
      onMessage: (n) => {
        if (n === 3) throw new Error('handler bug');
        got.push(n);
      },
      onError: (e) => errors.push(e),
    });
    const l = link(new PeerLink<number>({ address: server.address, from: 'a' }));
    for (let n = 1; n <= 5; n++) l.send(n);
    await l.flush();
    expect(got).toEqual([1, 2, 4, 5]);
    expect(errors.length).toBe(1);
    expect(stats.messagesFailed).toBe(1);
  });

  it('jsonCodec keeps bigints exact', () => {
    const msg = { ballot: 2n ** 63n - 1n, list: [1n, -5n], name: 'x', nested: { $bigint: 'not alone', other: 1 } };
    expect(jsonCodec.decode(jsonCodec.encode(msg))).toEqual(msg);
  });
});

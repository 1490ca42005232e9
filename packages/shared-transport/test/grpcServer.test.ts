import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callUnary,
  createGrpcClient,
  createGrpcServer,
  DeadlineError,
  int64ToWire,
  ProtoError,
  RemoteError,
  toBigInt,
  uint64ToWire,
  UnavailableError,
  CODE_METADATA_KEY,
} from '../src/index.js';
import type { EchoClient } from './generated/quorumkit/test/Echo.js';
import type { EchoMessage__Output } from './generated/quorumkit/test/EchoMessage.js';
import { ECHO_PROTO, ECHO_SERVICE, startEchoServer, TestCodedError, useEchoServer, waitFor } from './helpers.js';

describe('gRPC server and client', () => {
  const fx = useEchoServer('a');

  it('binds 127.0.0.1 on an ephemeral port and answers', async () => {
    expect(fx.srv.address).toBe(`127.0.0.1:${fx.srv.port}`);
    expect(fx.srv.port).toBeGreaterThan(0);
    const res = await callUnary(fx.client, 'Echo', { text: 'hi' }, { deadlineMs: 5_000 });
    expect(res).toMatchObject({ text: 'hi', servedBy: 'a' });
  });

  it('works with a client typed by proto-loader-gen-types (npm run gen)', async () => {
    const typed = createGrpcClient<EchoClient>(ECHO_PROTO, ECHO_SERVICE, fx.srv.address);
    const reply = await new Promise<EchoMessage__Output>((resolve, reject) =>
      typed.Echo({ text: 'typed', entryId: uint64ToWire(7n) }, (e, r) => (e || !r ? reject(e) : resolve(r))),
    );
    typed.close();
    expect(reply.entryId).toBe('7');
    expect(reply.servedBy).toBe('a');
  });

  it('carries int64 and uint64 above 2^53 without rounding', async () => {
    const ballot = 2n ** 62n + 12345n; // far above Number.MAX_SAFE_INTEGER
    const entry = 2n ** 64n - 1n;
    const res = await callUnary(
      fx.client,
      'Echo',
      { ballot: int64ToWire(-ballot), entryId: uint64ToWire(entry) },
      { deadlineMs: 5_000 },
    );
    expect(typeof res.ballot).toBe('string');
    expect(toBigInt(res.ballot)).toBe(-ballot);
    expect(toBigInt(res.entryId)).toBe(entry);
  });

  it('turns a thrown QuorumkitError into a status carrying its code', async () => {
    const err = await callUnary(fx.client, 'Fail', { code: 'ETURN', message: 'not your turn' }, { deadlineMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).code).toBe('ETURN');
    expect((err as RemoteError).remoteCode).toBe('ETURN');
    expect((err as RemoteError).grpcCode).toBe(grpc.status.FAILED_PRECONDITION);
    expect((err as Error).message).toContain('not your turn');
  });

  it('turns a plain thrown Error into UNKNOWN without a code', async () => {
    const err = await callUnary(fx.client, 'Fail', { plain: true, message: 'boom' }, { deadlineMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).code).toBe('EREMOTE');
    expect((err as RemoteError).grpcCode).toBe(grpc.status.UNKNOWN);
  });

  it('sends the code in trailing metadata readable by a plain grpc-js client', async () => {
    const raw = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, fx.srv.address);
    const metadata = await new Promise<grpc.Metadata>((resolve) => {
      (raw as any).Fail({ code: 'EXYZ', message: 'm' }, (err: grpc.ServiceError) => resolve(err.metadata));
    });
    raw.close();
    expect(metadata.get(CODE_METADATA_KEY)).toEqual(['EXYZ']);
  });

  it('fails a call with DeadlineError when the deadline passes', async () => {
    const err = await callUnary(fx.client, 'Slow', { delayMs: 5_000 }, { deadlineMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as DeadlineError).code).toBe('EDEADLINE');
    // the server-side handler sees the cancellation through ctx.signal
    await waitFor(() => fx.srv.state.cancelled >= 1);
  });

  it('rejects with UnavailableError when nobody listens', async () => {
    const dead = await startEchoServer('dead');
    const addr = dead.address;
    await dead.close();
    const c = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, addr);
    const err = await callUnary(c, 'Echo', {}, { deadlineMs: 5_000 }).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(UnavailableError);
  });

  it('survives garbage request bytes and unserializable replies', async () => {
    const bad = await createGrpcServer({
      protoPath: ECHO_PROTO,
      service: ECHO_SERVICE,
      handlers: {
        Echo: async () => ({ payload: 'zz!!' }), // not base64: serialization throws
        Fail: () => {
          throw new Error('sync throw');
        },
      },
    });
    try {
      // raw bytes that are not a valid EchoRequest (a varint field cut short)
      const Raw = grpc.makeGenericClientConstructor(
        {
          Echo: {
            path: `/${ECHO_SERVICE}/Echo`,
            requestStream: false,
            responseStream: false,
            requestSerialize: (b: Buffer) => b,
            requestDeserialize: (b: Buffer) => b,
            responseSerialize: (b: Buffer) => b,
            responseDeserialize: (b: Buffer) => b,
          },
        },
        'Raw',
      );
      const raw = new Raw(bad.address, grpc.credentials.createInsecure());
      const rawErr = await new Promise<grpc.ServiceError | null>((resolve) => {
        (raw as any).Echo(Buffer.from([0x10]), { deadline: Date.now() + 5_000 }, (e: grpc.ServiceError | null) =>
          resolve(e),
        );
      });
      raw.close();
      expect(rawErr?.code).toBe(grpc.status.INTERNAL);

      const c = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, bad.address);
      const replyErr = await callUnary(c, 'Echo', { text: 'x' }, { deadlineMs: 5_000 }).catch((e: unknown) => e);
      expect(replyErr).toBeInstanceOf(RemoteError);
      const syncErr = await callUnary(c, 'Fail', {}, { deadlineMs: 5_000 }).catch((e: unknown) => e);
      expect((syncErr as Error).message).toContain('sync throw');
      const unimpl = await callUnary(c, 'Slow', {}, { deadlineMs: 5_000 }).catch((e: unknown) => e);
      expect((unimpl as RemoteError).grpcCode).toBe(grpc.status.UNIMPLEMENTED);
      c.close();
      // and the server still answers
      const c2 = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, fx.srv.address);
      await expect(callUnary(c2, 'Echo', { text: 'alive' }, { deadlineMs: 5_000 })).resolves.toMatchObject({ text: 'alive' });
      c2.close();
    } finally {
      await bad.close();
    }
  });

  it('rejects unknown protos, services and methods with ProtoError', async () => {
    expect(() => createGrpcClient('/nonexistent.proto', ECHO_SERVICE, fx.srv.address)).toThrow(ProtoError);
    expect(() => createGrpcClient(ECHO_PROTO, 'quorumkit.test.Nope', fx.srv.address)).toThrow(ProtoError);
    await expect(
      createGrpcServer({ protoPath: ECHO_PROTO, service: ECHO_SERVICE, handlers: { Nope: async () => ({}) } }),
    ).rejects.toBeInstanceOf(ProtoError);
    await expect(callUnary(fx.client, 'Nope', {}, { deadlineMs: 1_000 })).rejects.toBeInstanceOf(ProtoError);
  });
});

// Streaming handlers. The proto is written by this file (the shared echo.proto stays unary).
const STREAM_PROTO_TEXT = `syntax = "proto3";
package quorumkit.streamtest;
service Streams {
  rpc Count (CountRequest) returns (stream Num);
  rpc Chat (stream Num) returns (stream Num);
  rpc Sum (stream Num) returns (Num);
  rpc NoChat (stream Num) returns (stream Num);
  rpc NoCount (CountRequest) returns (stream Num);
}
message CountRequest { int64 n = 1; string fail_code = 2; bool plain = 3; bool wait = 4; }
message Num { int64 v = 1; bytes payload = 2; string fail_code = 3; }
`;
const STREAMS = 'quorumkit.streamtest.Streams';

interface Num {
  v: string;
  payload?: unknown;
  failCode?: string;
}

interface Collected {
  msgs: Num[];
  err: grpc.ServiceError | null;
}

/** Reads a client-side stream to its end: the messages and the final error (null on OK). */
function collect(call: grpc.ClientReadableStream<Num> | grpc.ClientDuplexStream<Num, Num>): Promise<Collected> {
  return new Promise((resolve) => {
    const msgs: Num[] = [];
    let err: grpc.ServiceError | null = null;
    call.on('data', (m: Num) => msgs.push(m));
    call.on('error', (e: grpc.ServiceError) => (err = e));
    call.on('status', () => setImmediate(() => resolve({ msgs, err })));
  });
}

describe('gRPC server streaming handlers', () => {
  let dir: string;
  let proto: string;
  let srv: Awaited<ReturnType<typeof createGrpcServer>>;
  let client: any;
  const seen = { aborted: 0, chatEnded: 0, rejectedWrites: 0 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qk-streams-'));
    proto = join(dir, 'streams.proto');
    writeFileSync(proto, STREAM_PROTO_TEXT);
    srv = await createGrpcServer({
      protoPath: proto,
      service: STREAMS,
      handlers: {},
      closeGraceMs: 120_000, // close() must not wait this out for open streams
      serverStreamHandlers: {
        Count: async (req: { n: string; failCode: string; plain: boolean; wait: boolean }, out, ctx) => {
          for (let i = 1; i <= Number(req.n); i++) await out.write({ v: String(i) });
          if (req.failCode) throw new TestCodedError(req.failCode, `failed after ${req.n}`);
          if (req.plain) throw new Error('plain failure');
          if (req.wait) {
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
            seen.aborted++;
            // writes after the end are dropped, not thrown
            await out.write({ v: '999' });
            expect(out.closed).toBe(true);
          }
        },
      },
      bidiStreamHandlers: {
        Chat: async (requests: AsyncIterable<Num>, out) => {
          for await (const m of requests) {
            if (m.failCode) throw new TestCodedError(m.failCode, `refused ${m.v}`);
            if (m.v === '-1') {
              // an unserializable reply rejects this write only; the call goes on
              await out.write({ v: '1', payload: 'zz!!' }).catch(() => seen.rejectedWrites++);
              continue;
            }
            void out.write({ v: String(BigInt(m.v) * 2n) });
          }
          seen.chatEnded++;
          await out.write({ v: '0' });
        },
      },
      clientStreamHandlers: {
        Sum: async (requests: AsyncIterable<Num>) => {
          let total = 0n;
          for await (const m of requests) {
            if (m.failCode) throw new TestCodedError(m.failCode, 'no sum');
            total += BigInt(m.v);
          }
          return { v: String(total) };
        },
      },
    });
    client = createGrpcClient(proto, STREAMS, srv.address);
  });

  afterAll(async () => {
    client?.close();
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('server-streaming: every message in order, then OK', async () => {
    const r = await collect(client.Count({ n: 5 }, { deadline: Date.now() + 10_000 }));
    expect(r.err).toBeNull();
    expect(r.msgs.map((m) => m.v)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('server-streaming: a thrown error ends the stream with the mapped status after the messages sent', async () => {
    const coded = await collect(client.Count({ n: 2, failCode: 'ESTREAM' }, { deadline: Date.now() + 10_000 }));
    expect(coded.msgs.map((m) => m.v)).toEqual(['1', '2']);
    expect(coded.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(coded.err?.metadata.get(CODE_METADATA_KEY)).toEqual(['ESTREAM']);
    expect(coded.err?.details).toContain('failed after 2');
    const plain = await collect(client.Count({ n: 0, plain: true }, { deadline: Date.now() + 10_000 }));
    expect(plain.err?.code).toBe(grpc.status.UNKNOWN);
    expect(plain.err?.details).toContain('plain failure');
  });

  it('server-streaming: the handler sees the deadline through ctx.signal', async () => {
    const before = seen.aborted;
    const r = await collect(client.Count({ n: 1, wait: true }, { deadline: Date.now() + 300 }));
    expect(r.msgs.map((m) => m.v)).toEqual(['1']);
    expect(r.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await waitFor(() => seen.aborted > before);
  });

  it('bidi: many requests answered in order under flow control, then OK after the caller half-closes', async () => {
    const call = client.Chat({ deadline: Date.now() + 30_000 });
    const done = collect(call);
    for (let i = 1; i <= 500; i++) call.write({ v: String(i) });
    call.end();
    const r = await done;
    expect(r.err).toBeNull();
    expect(r.msgs.map((m) => m.v)).toEqual([...Array.from({ length: 500 }, (_, i) => String((i + 1) * 2)), '0']);
  });

  it('bidi: an unserializable reply rejects its write and the call goes on', async () => {
    const before = seen.rejectedWrites;
    const call = client.Chat({ deadline: Date.now() + 10_000 });
    const done = collect(call);
    call.write({ v: '-1' });
    call.write({ v: '4' });
    call.end();
    const r = await done;
    expect(r.err).toBeNull();
    expect(r.msgs.map((m) => m.v)).toEqual(['8', '0']);
    expect(seen.rejectedWrites).toBe(before + 1);
  });

  it('bidi: a thrown coded error becomes the status with its code', async () => {
    const call = client.Chat({ deadline: Date.now() + 10_000 });
    const done = collect(call);
    call.write({ v: '1' });
    call.write({ v: '2', failCode: 'EBIDI' });
    const r = await done;
    call.end();
    expect(r.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(r.err?.metadata.get(CODE_METADATA_KEY)).toEqual(['EBIDI']);
    expect(r.msgs.length).toBeLessThanOrEqual(1);
  });

  it('bidi: a cancelled call ends the handler’s requests', async () => {
    const before = seen.chatEnded;
    const call = client.Chat({ deadline: Date.now() + 10_000 });
    const done = collect(call);
    const got: string[] = [];
    call.on('data', (m: Num) => got.push(m.v));
    call.write({ v: '3' });
    await waitFor(() => got.length === 1); // the handler is running
    call.cancel();
    const r = await done;
    expect(r.err?.code).toBe(grpc.status.CANCELLED);
    await waitFor(() => seen.chatEnded > before);
  });

  it('client-streaming: one reply from all the requests; errors map as for unary', async () => {
    const sum = await new Promise<{ err: grpc.ServiceError | null; res?: Num }>((resolve) => {
      const call = client.Sum({ deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res?: Num) => resolve({ err, res }));
      for (let i = 1; i <= 10; i++) call.write({ v: String(i) });
      call.end();
    });
    expect(sum.err).toBeNull();
    expect(sum.res?.v).toBe('55');
    const bad = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.Sum({ deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null) => resolve(err));
      call.write({ v: '1', failCode: 'ESUM' });
      call.end();
    });
    expect(bad?.metadata.get(CODE_METADATA_KEY)).toEqual(['ESUM']);
  });

  it('streaming methods without a handler answer UNIMPLEMENTED; a handler of the wrong kind is a ProtoError', async () => {
    const bidi = client.NoChat({ deadline: Date.now() + 10_000 });
    const r1 = await collect(bidi);
    bidi.end();
    expect(r1.err?.code).toBe(grpc.status.UNIMPLEMENTED);
    const r2 = await collect(client.NoCount({ n: 1 }, { deadline: Date.now() + 10_000 }));
    expect(r2.err?.code).toBe(grpc.status.UNIMPLEMENTED);
    await expect(
      createGrpcServer({ protoPath: proto, service: STREAMS, handlers: { Chat: async () => ({}) } }),
    ).rejects.toBeInstanceOf(ProtoError);
    await expect(
      createGrpcServer({ protoPath: proto, service: STREAMS, handlers: {}, bidiStreamHandlers: { Count: async () => {} } }),
    ).rejects.toBeInstanceOf(ProtoError);
  });

  it('close() ends open streams through their handlers instead of waiting out the grace period', async () => {
    const own = await createGrpcServer({
      protoPath: proto,
      service: STREAMS,
      handlers: {},
      closeGraceMs: 120_000,
      bidiStreamHandlers: {
        Chat: async (requests: AsyncIterable<Num>, out, ctx) => {
          for await (const m of requests) await out.write(m);
          expect(ctx.signal.aborted).toBe(true);
          expect((ctx.signal.reason as Error).message).toContain('server closing');
        },
      },
    });
    const c: any = createGrpcClient(proto, STREAMS, own.address);
    try {
      const call = c.Chat({ deadline: Date.now() + 60_000 });
      const got: string[] = [];
      call.on('data', (m: Num) => got.push(m.v));
      const ended = new Promise<void>((resolve) => call.on('status', () => resolve()));
      call.on('error', () => {});
      call.write({ v: '7' });
      await waitFor(() => got.length === 1);
      await own.close(); // would take 120 s (beyond the test timeout) if it waited for the stream
      await ended;
      expect(got).toEqual(['7']);
    } finally {
      c.close();
      await own.close();
    }
  });
});

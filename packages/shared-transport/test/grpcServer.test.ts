import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
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
import { ECHO_PROTO, ECHO_SERVICE, startEchoServer, useEchoServer, waitFor } from './helpers.js';

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

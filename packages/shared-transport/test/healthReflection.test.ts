import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, createGrpcClient } from '../src/index.js';
import { protoPath as healthProto } from 'grpc-health-check';
import { startEchoServer } from './helpers.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const reflectionProto = join(
  dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

describe('health and reflection', () => {
  let srv: Awaited<ReturnType<typeof startEchoServer>>;
  beforeAll(async () => {
    srv = await startEchoServer('h');
  });
  afterAll(async () => {
    await srv?.close();
  });

  /** One reflection stream: each request in order, the same number of replies. */
  async function reflect(requests: object[]): Promise<any[]> {
    const refl = createGrpcClient(reflectionProto, 'grpc.reflection.v1.ServerReflection', srv.address);
    try {
      const call = (refl as any).ServerReflectionInfo() as grpc.ClientDuplexStream<any, any>;
      const replies: any[] = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (d: any) => {
          replies.push(d);
          if (replies.length === requests.length) call.end();
        });
        call.on('end', resolve);
        call.on('error', reject);
      });
      for (const r of requests) call.write(r);
      await done;
      return replies;
    } finally {
      refl.close();
    }
  }

  it('health answers SERVING for the server and the service, NOT_SERVING after setServing', async () => {
    const health = createGrpcClient(healthProto, 'grpc.health.v1.Health', srv.address);
    try {
      await expect(callUnary(health, 'Check', { service: '' }, { deadlineMs: 5_000 })).resolves.toEqual({ status: 'SERVING' });
      await expect(callUnary(health, 'Check', { service: 'quorumkit.test.Echo' }, { deadlineMs: 5_000 })).resolves.toEqual({
        status: 'SERVING',
      });
      const unknown = await callUnary(health, 'Check', { service: 'nope.Nope' }, { deadlineMs: 5_000 }).catch((e) => e);
      expect(unknown.grpcCode).toBe(grpc.status.NOT_FOUND);
      srv.setServing('quorumkit.test.Echo', 'NOT_SERVING');
      await expect(callUnary(health, 'Check', { service: 'quorumkit.test.Echo' }, { deadlineMs: 5_000 })).resolves.toEqual({
        status: 'NOT_SERVING',
      });
      srv.setServing('quorumkit.test.Echo', 'SERVING');
    } finally {
      health.close();
    }
  });

  it("'' (the whole server) is NOT_SERVING while any service is, and while set so itself", async () => {
    const health = createGrpcClient(healthProto, 'grpc.health.v1.Health', srv.address);
    const whole = () => callUnary(health, 'Check', { service: '' }, { deadlineMs: 5_000 });
    try {
      srv.setServing('quorumkit.test.Echo', 'NOT_SERVING');
      await expect(whole()).resolves.toEqual({ status: 'NOT_SERVING' });
      srv.setServing('quorumkit.test.Echo', 'SERVING');
      await expect(whole()).resolves.toEqual({ status: 'SERVING' });
      srv.setServing('', 'NOT_SERVING');
      await expect(whole()).resolves.toEqual({ status: 'NOT_SERVING' });
      await expect(callUnary(health, 'Check', { service: 'quorumkit.test.Echo' }, { deadlineMs: 5_000 })).resolves.toEqual({ status: 'SERVING' });
      srv.setServing('', 'SERVING');
      await expect(whole()).resolves.toEqual({ status: 'SERVING' });
    } finally {
      health.close();
    }
  });

  it("reflection lists the health service and keeps the .proto's field names (served_by, not servedBy)", async () => {
    const replies = await reflect([{ listServices: '*' }, { fileContainingSymbol: 'quorumkit.test.Echo' }, { fileContainingSymbol: 'grpc.health.v1.Health' }]);
    const names = replies[0].listServicesResponse.service.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['quorumkit.test.Echo', 'grpc.health.v1.Health']));
    // a serialized FileDescriptorProto holds each field name as a plain string
    const echoFiles = Buffer.concat(replies[1].fileDescriptorResponse.fileDescriptorProto as Buffer[]).toString('latin1');
    expect(echoFiles).toContain('served_by');
    expect(echoFiles).toContain('entry_id');
    expect(echoFiles).not.toContain('servedBy');
    expect(replies[2].fileDescriptorResponse.fileDescriptorProto.length).toBeGreaterThan(0);
  });

  it('reflection lists the service and describes its file', async () => {
    const replies = await reflect([{ listServices: '*' }, { fileContainingSymbol: 'quorumkit.test.Echo' }]);
    const names = replies[0].listServicesResponse.service.map((s: { name: string }) => s.name);
    expect(names).toContain('quorumkit.test.Echo');
    expect(replies[1].fileDescriptorResponse.fileDescriptorProto.length).toBeGreaterThan(0);
  });
});

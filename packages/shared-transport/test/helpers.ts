// Test servers: an Echo service whose behaviour is driven by the request.
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll } from 'vitest';
import { createGrpcClient, createGrpcServer, type GrpcServer, type GrpcServerOptions } from '../src/index.js';
import { QuorumkitError } from '../src/errors.js';
import type { EchoMessage, EchoMessage__Output } from './generated/quorumkit/test/EchoMessage.js';
import type { Reply } from './generated/quorumkit/test/Reply.js';
import type { FailRequest__Output } from './generated/quorumkit/test/FailRequest.js';
import type { SlowRequest__Output } from './generated/quorumkit/test/SlowRequest.js';

export const ECHO_PROTO = fileURLToPath(new URL('./proto/echo.proto', import.meta.url));
export const ECHO_SERVICE = 'quorumkit.test.Echo';

export class TestCodedError extends QuorumkitError {}

export interface EchoServerState {
  calls: number;
  cancelled: number;
}

export async function startEchoServer(
  name: string,
  extra: Partial<GrpcServerOptions> = {},
): Promise<GrpcServer & { state: EchoServerState }> {
  const state: EchoServerState = { calls: 0, cancelled: 0 };
  const server = await createGrpcServer({
    protoPath: ECHO_PROTO,
    service: ECHO_SERVICE,
    handlers: {
      Echo: async (req: EchoMessage__Output): Promise<EchoMessage> => {
        state.calls++;
        return { ...req, servedBy: name };
      },
      Fail: async (req: FailRequest__Output): Promise<Reply> => {
        state.calls++;
        if (req.plain) throw new Error(req.message);
        throw new TestCodedError(req.code, req.message);
      },
      Slow: (req: SlowRequest__Output, ctx): Promise<Reply> => {
        state.calls++;
        return new Promise<Reply>((resolve) => {
          const timer = setTimeout(() => resolve({ text: req.text, servedBy: name }), req.delayMs);
          ctx.signal.addEventListener('abort', () => {
            state.cancelled++;
            clearTimeout(timer);
            resolve({ text: 'cancelled', servedBy: name });
          });
        });
      },
    },
    ...extra,
  });
  return Object.assign(server, { state });
}

/** Polls `cond` every 10 ms until it holds or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type EchoServer = Awaited<ReturnType<typeof startEchoServer>>;

/** An Echo server and a client to it for a whole describe block (closed after it). */
export function useEchoServer(name: string): { readonly srv: EchoServer; readonly client: grpc.Client } {
  let srv: EchoServer | undefined;
  let client: grpc.Client | undefined;
  beforeAll(async () => {
    srv = await startEchoServer(name);
    client = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, srv.address);
  });
  afterAll(async () => {
    client?.close();
    await srv?.close();
  });
  return {
    get srv() {
      return srv!;
    },
    get client() {
      return client!;
    },
  };
}

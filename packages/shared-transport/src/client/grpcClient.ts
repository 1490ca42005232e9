// gRPC client factory and a promise-returning unary call with a per-call deadline.
import * as grpc from '@grpc/grpc-js';
import { CancelledError, ProtoError } from '../errors.js';
import { lookupService } from '../server/protoLoader.js';
import { statusToError } from '../server/statusMapping.js';
import { channelCredentials, tlsChannelOptions, type TlsFiles, type TlsReloader } from '../tls.js';

export interface GrpcClientOptions {
  /** files read once, or a TlsReloader whose reloads apply to new connections */
  tls?: TlsFiles | TlsReloader;
  /** largest reply accepted, bytes (default 16 MiB) */
  messageBytesMax?: number;
  /** extra grpc-js channel options */
  channelOptions?: grpc.ChannelOptions;
}

export const grpcClientDefaults = { messageBytesMax: 16 * 1024 * 1024 } as const;

/** A client for 'pkg.Service' at 'host:port'. Close it with `client.close()`. */
export function createGrpcClient<T = any>(
  protoPath: string,
  service: string,
  address: string,
  opts: GrpcClientOptions = {},
): T & grpc.Client {
  const Ctor = lookupService(protoPath, service);
  return new Ctor(address, channelCredentials(opts.tls), {
    'grpc.max_receive_message_length': opts.messageBytesMax ?? grpcClientDefaults.messageBytesMax,
    'grpc.max_send_message_length': opts.messageBytesMax ?? grpcClientDefaults.messageBytesMax,
    ...tlsChannelOptions(opts.tls),
    ...opts.channelOptions,
  }) as unknown as T & grpc.Client;
}

export interface CallOptions {
  /** the call fails with DeadlineError after this long (required: every call is bounded) */
  deadlineMs: number;
  /** aborting cancels the call; the promise rejects with CancelledError */
  signal?: AbortSignal;
  metadata?: grpc.Metadata;
}

type UnaryMethod = (
  req: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: unknown) => void,
) => grpc.ClientUnaryCall;

/**
 * Calls a unary method. Rejects with DeadlineError, CancelledError, UnavailableError or
 * RemoteError (whose `code` is the server's QuorumkitError code when it sent one).
 */
export function callUnary<Req = any, Res = any>(client: grpc.Client, method: string, req: Req, opts: CallOptions): Promise<Res> {
  const fn = (client as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') return Promise.reject(new ProtoError(`client has no method ${method}`));
  if (!(opts.deadlineMs > 0) || !Number.isFinite(opts.deadlineMs)) {
    return Promise.reject(new TypeError(`${method}: deadlineMs must be a positive finite number, got ${opts.deadlineMs}`));
  }
  const signal = opts.signal;
  if (signal?.aborted) return Promise.reject(new CancelledError(`${method}: aborted before start`));
  return new Promise<Res>((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    const call = (fn as UnaryMethod).call(
      client,
      req,
      opts.metadata ?? new grpc.Metadata(),
      { deadline: new Date(Date.now() + opts.deadlineMs) },
      (err, res) => {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        if (err) reject(signal?.aborted ? new CancelledError(`${method}: aborted`) : statusToError(err, method));
        else resolve(res as Res);
      },
    );
    if (signal) {
      onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

// gRPC server factory: one or more services from .proto files, async handlers (req -> reply,
// and streaming: req -> messages, requests -> reply, requests -> messages), grpc health and
// reflection registered, bound on 127.0.0.1:0 unless told otherwise.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { CancelledError, ProtoError, UnavailableError } from '../errors.js';
import { serverCredentials, type TlsFiles, type TlsReloader } from '../tls.js';
import { loadPackageDefinition, lookupService } from './protoLoader.js';
import { errorToStatus } from './statusMapping.js';

/** What a handler sees besides the request. */
export interface HandlerContext {
  metadata: grpc.Metadata;
  /** the caller's address, e.g. 'ipv4:127.0.0.1:53012' */
  peer: string;
  /** aborted when the caller cancels or its deadline passes */
  signal: AbortSignal;
}

export type UnaryHandler<Req = any, Res = any> = (req: Req, ctx: HandlerContext) => Promise<Res> | Res;

/** The sending side of a streaming reply. */
export interface StreamWriter<Res = any> {
  /**
   * Sends one message. Resolves once grpc-js has taken it (await it to follow the
   * caller's flow control), or at once when the call is already over (the message is
   * dropped). Rejects when the message cannot be serialized; the call goes on.
   */
  write(msg: Res): Promise<void>;
  /** true once the caller cancelled, its deadline passed, the server closed, or the call ended */
  readonly closed: boolean;
}

/**
 * Server-streaming: one request, any number of messages. The call ends with OK when the
 * returned promise resolves, with the error's status (as for unary) when it rejects.
 */
export type ServerStreamHandler<Req = any, Res = any> = (req: Req, out: StreamWriter<Res>, ctx: HandlerContext) => Promise<void> | void;

/**
 * Bidi: the caller's messages in order, and a writer. `requests` ends when the caller
 * half-closes, cancels, its deadline passes or the server closes (ctx.signal tells which).
 * The call ends when the returned promise settles, as for server-streaming.
 */
export type BidiStreamHandler<Req = any, Res = any> = (
  requests: AsyncIterable<Req>,
  out: StreamWriter<Res>,
  ctx: HandlerContext,
) => Promise<void> | void;

/** Client-streaming: the caller's messages (ending as for bidi), then one reply. */
export type ClientStreamHandler<Req = any, Res = any> = (requests: AsyncIterable<Req>, ctx: HandlerContext) => Promise<Res> | Res;

/**
 * One service: its .proto, its full name ('pkg.Service') and a handler per method, in the
 * map for the method's kind (a handler in the wrong map is a ProtoError at start).
 * Methods without a handler answer UNIMPLEMENTED.
 */
export interface ServiceSpec {
  protoPath: string;
  service: string;
  /** unary methods (required, may be {} for a service of streams only) */
  handlers: Record<string, UnaryHandler>;
  serverStreamHandlers?: Record<string, ServerStreamHandler>;
  bidiStreamHandlers?: Record<string, BidiStreamHandler>;
  clientStreamHandlers?: Record<string, ClientStreamHandler>;
}

export interface GrpcServerOptions extends Partial<ServiceSpec> {
  /** more services on the same server (e.g. peerLinkService(...)) */
  extraServices?: ServiceSpec[];
  /** default '127.0.0.1:0' (an ephemeral port; read it back from the result) */
  address?: string;
  /** files read once, or a TlsReloader whose reloads (SIGHUP) apply to new connections */
  tls?: TlsFiles | TlsReloader;
  /** largest request accepted, bytes (default 16 MiB) */
  messageBytesMax?: number;
  /** grace period for in-flight calls on close() before they are cut (default 2000 ms) */
  closeGraceMs?: number;
  /** extra grpc-js server options */
  serverOptions?: grpc.ServerOptions;
}

export interface GrpcServer {
  server: grpc.Server;
  port: number;
  /** 'host:port' actually bound */
  address: string;
  /** change what the health service reports ('' is the whole server) */
  setServing(service: string, status: ServingStatus): void;
  close(): Promise<void>;
}

export const grpcServerDefaults = { address: '127.0.0.1:0', messageBytesMax: 16 * 1024 * 1024, closeGraceMs: 2_000 } as const;

function wrapUnary(name: string, handler: UnaryHandler): grpc.handleUnaryCall<any, any> {
  return (call, callback) => {
    const abort = new AbortController();
    const onCancel = (): void => abort.abort(new Error(`${name}: call cancelled`));
    call.once('cancelled', onCancel);
    let settled = false;
    const reply = (err: grpc.ServiceError | null, value?: unknown): void => {
      if (settled) return;
      settled = true;
      call.removeListener('cancelled', onCancel);
      try {
        callback(err, value);
      } catch (e) {
        // A reply that cannot be serialized must not take the server down.
        callback(errorToStatus(e), null);
      }
    };
    const ctx: HandlerContext = { metadata: call.metadata, peer: call.getPeer(), signal: abort.signal };
    runHandler(() => handler(call.request, ctx)).then(
      (value) => reply(null, value ?? {}),
      (e: unknown) => reply(errorToStatus(e)),
    );
  };
}

// Past this many unread requests a stream is paused until the handler reads on (flow control).
const REQUESTS_BUFFERED_MAX = 64;

type ReadableCall = grpc.ServerReadableStream<any, any> | grpc.ServerDuplexStream<any, any>;
type WritableCall = grpc.ServerWritableStream<any, any> | grpc.ServerDuplexStream<any, any>;

/** Every open streaming call's controller: close() aborts them so long-lived streams end. */
type OpenStreams = Set<AbortController>;

/** The caller's messages as an async iterable that ends (never throws) when the call is over. */
function requestsOf(call: ReadableCall, signal: AbortSignal): AsyncIterable<any> {
  const queue: unknown[] = [];
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = (): void => void (wake?.(), (wake = undefined));
  const onData = (m: unknown): void => {
    queue.push(m);
    if (queue.length >= REQUESTS_BUFFERED_MAX) call.pause();
    notify();
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    call.removeListener('data', onData);
    notify();
  };
  call.on('data', onData);
  call.once('end', finish);
  call.once('error', finish);
  // once the call is over, nothing read after this could be answered
  signal.addEventListener('abort', () => ((queue.length = 0), finish()), { once: true });
  let taken = false;
  return {
    [Symbol.asyncIterator](): AsyncIterator<any> {
      if (taken) throw new TypeError('the requests of a call can be iterated once');
      taken = true;
      return {
        async next(): Promise<IteratorResult<any>> {
          for (;;) {
            if (queue.length > 0) {
              const value = queue.shift();
              if (queue.length <= REQUESTS_BUFFERED_MAX / 2 && call.isPaused() && !finished) call.resume();
              return { value, done: false };
            }
            if (finished) return { value: undefined, done: true };
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
        async return(): Promise<IteratorResult<any>> {
          queue.length = 0;
          finish();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/**
 * The writer of a streaming reply. Messages are serialized here (the registered definition
 * passes Buffers through), so one that cannot be serialized rejects its write instead of
 * ending the call with INTERNAL as grpc-js would, and a write still pending when the call
 * ends (grpc-js then never calls back) resolves.
 */
function writerOf(call: WritableCall, serialize: (m: unknown) => Buffer, isClosed: () => boolean): StreamWriter & { release(): void } {
  const pending = new Set<() => void>();
  return {
    get closed() {
      return isClosed();
    },
    write(msg) {
      if (isClosed()) return Promise.resolve();
      let bytes: Buffer;
      try {
        bytes = serialize(msg);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      return new Promise<void>((resolve) => {
        const done = (): void => {
          pending.delete(done);
          resolve();
        };
        pending.add(done);
        call.write(bytes, done);
      });
    },
    release() {
      for (const done of [...pending]) done();
    },
  };
}

interface StreamShell {
  ctx: HandlerContext;
  /** true once the call is over for the handler (cancelled, deadline, server closed, settled) */
  over: () => boolean;
  /** ends the shell's bookkeeping; returns false when the call is already gone */
  settle: () => boolean;
}

/** Cancellation, server close and bookkeeping shared by the three streaming kinds. */
function streamShell(name: string, call: ReadableCall | WritableCall, open: OpenStreams): StreamShell {
  const abort = new AbortController();
  let settled = false;
  let gone = false;
  const onCancel = (): void => {
    gone = true;
    abort.abort(new CancelledError(`${name}: call cancelled or its deadline passed`));
  };
  call.once('cancelled', onCancel);
  open.add(abort);
  return {
    ctx: { metadata: call.metadata, peer: call.getPeer(), signal: abort.signal },
    over: () => settled || abort.signal.aborted,
    settle() {
      settled = true;
      open.delete(abort);
      call.removeListener('cancelled', onCancel);
      return !gone;
    },
  };
}

function runHandler(start: () => Promise<unknown> | unknown): Promise<unknown> {
  try {
    return Promise.resolve(start());
  } catch (e) {
    return Promise.reject(e);
  }
}

function wrapWriting(
  name: string,
  open: OpenStreams,
  serialize: (m: unknown) => Buffer,
  run: (call: any, out: StreamWriter, ctx: HandlerContext) => Promise<unknown> | unknown,
): grpc.UntypedHandleCall {
  return ((call: WritableCall) => {
    const shell = streamShell(name, call, open);
    const out = writerOf(call, serialize, shell.over);
    const finish = (err?: unknown): void => {
      out.release();
      if (!shell.settle()) return;
      if (err === undefined) call.end();
      else call.emit('error', errorToStatus(err));
    };
    runHandler(() => run(call, out, shell.ctx)).then(
      () => finish(),
      (e: unknown) => finish(e ?? new Error(`${name}: handler failed`)),
    );
  }) as grpc.UntypedHandleCall;
}

type AnyHandler = UnaryHandler | ServerStreamHandler | BidiStreamHandler | ClientStreamHandler;

function wrapMethod(name: string, m: grpc.MethodDefinition<any, any>, kind: string, handler: AnyHandler, open: OpenStreams): grpc.UntypedHandleCall {
  const serialize = m.responseSerialize as (x: unknown) => Buffer;
  switch (kind) {
    case 'unary':
      return wrapUnary(name, handler as UnaryHandler);
    case 'serverStream':
      return wrapWriting(name, open, serialize, (call: grpc.ServerWritableStream<any, any>, out, ctx) =>
        (handler as ServerStreamHandler)(call.request, out, ctx),
      );
    case 'bidiStream':
      return wrapWriting(name, open, serialize, (call: grpc.ServerDuplexStream<any, any>, out, ctx) =>
        (handler as BidiStreamHandler)(requestsOf(call, ctx.signal), out, ctx),
      );
    default:
      return ((call: grpc.ServerReadableStream<any, any>, callback: grpc.sendUnaryData<any>) => {
        const shell = streamShell(name, call, open);
        const reply = (err: grpc.ServiceError | null, value?: unknown): void => {
          if (!shell.settle()) return;
          try {
            callback(err, value);
          } catch (e) {
            callback(errorToStatus(e), null);
          }
        };
        runHandler(() => (handler as ClientStreamHandler)(requestsOf(call, shell.ctx.signal), shell.ctx)).then(
          (value) => reply(null, value ?? {}),
          (e: unknown) => reply(errorToStatus(e)),
        );
      }) as grpc.UntypedHandleCall;
  }
}

function kindOf(m: grpc.MethodDefinition<any, any>): 'unary' | 'serverStream' | 'bidiStream' | 'clientStream' {
  if (m.requestStream) return m.responseStream ? 'bidiStream' : 'clientStream';
  return m.responseStream ? 'serverStream' : 'unary';
}

const HANDLER_MAPS = [
  ['handlers', 'unary'],
  ['serverStreamHandlers', 'serverStream'],
  ['bidiStreamHandlers', 'bidiStream'],
  ['clientStreamHandlers', 'clientStream'],
] as const;

function unimplemented(name: string, kind: string): grpc.UntypedHandleCall {
  const status = { code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented` };
  if (kind === 'unary' || kind === 'clientStream') {
    return ((_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(status)) as grpc.UntypedHandleCall;
  }
  return ((call: WritableCall) => call.emit('error', status)) as grpc.UntypedHandleCall;
}

function implementationFor(
  spec: ServiceSpec,
  open: OpenStreams,
): { definition: grpc.ServiceDefinition; impl: grpc.UntypedServiceImplementation } {
  const ctor = lookupService(spec.protoPath, spec.service);
  const definition: Record<string, grpc.MethodDefinition<any, any>> = { ...ctor.service };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [mapName, kind] of HANDLER_MAPS) {
    for (const [method, handler] of Object.entries(spec[mapName] ?? {})) {
      const m = definition[method];
      if (!m) throw new ProtoError(`${spec.service} has no method ${method}`);
      if (impl[method]) throw new ProtoError(`${spec.service}.${method} has two handlers`);
      if (kindOf(m) !== kind) throw new ProtoError(`${spec.service}.${method} is ${kindOf(m)}; its handler belongs in the map for that kind, not in ${mapName}`);
      impl[method] = wrapMethod(`${spec.service}.${method}`, m, kind, handler, open);
      if (m.responseStream) {
        // the writer serialized the message already (see writerOf)
        const serialize = m.responseSerialize;
        definition[method] = { ...m, responseSerialize: (x: unknown) => (Buffer.isBuffer(x) ? x : serialize(x)) };
      }
    }
  }
  for (const [method, m] of Object.entries(definition)) {
    impl[method] ??= unimplemented(`${spec.service}.${method}`, kindOf(m));
  }
  return { definition, impl };
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** Starts a gRPC server. Health reports SERVING for '' and every service; reflection lists them. */
export async function createGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const specs: ServiceSpec[] = [...(opts.extraServices ?? [])];
  if (opts.protoPath || opts.service || opts.handlers) {
    if (!opts.protoPath || !opts.service || !opts.handlers) {
      throw new TypeError('createGrpcServer: protoPath, service and handlers go together');
    }
    const { protoPath, service, handlers, serverStreamHandlers, bidiStreamHandlers, clientStreamHandlers } = opts;
    specs.unshift({ protoPath, service, handlers, serverStreamHandlers, bidiStreamHandlers, clientStreamHandlers });
  }
  if (specs.length === 0) throw new TypeError('createGrpcServer: no service given');

  const messageBytesMax = opts.messageBytesMax ?? grpcServerDefaults.messageBytesMax;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': messageBytesMax,
    ...opts.serverOptions,
  });
  const openStreams: OpenStreams = new Set();
  for (const spec of specs) {
    const { definition, impl } = implementationFor(spec, openStreams);
    server.addService(definition, impl);
  }

  const statuses: Record<string, ServingStatus> = { '': 'SERVING' };
  for (const spec of specs) statuses[spec.service] = 'SERVING';
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  // '' is the whole server: SERVING only while the operator's own '' setting and every
  // service are SERVING, so a probe of '' never says SERVING while a service is not.
  let serverWide: ServingStatus = 'SERVING';
  const setServing = (service: string, status: ServingStatus): void => {
    if (service === '') serverWide = status;
    else {
      statuses[service] = status;
      health.setStatus(service, status);
    }
    const all = serverWide === 'SERVING' && specs.every((sp) => statuses[sp.service] === 'SERVING');
    statuses[''] = all ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', statuses['']);
  };

  // Reflection describes the .proto files as written (keepCase: `card_id`, not `cardId`), so
  // a grpcurl request copied from the .proto is accepted, and it lists the health service.
  const reflected = [...new Set([...specs.map((s) => s.protoPath), healthProtoPath])];
  // @grpc/reflection is typed against its own proto-loader copy; the runtime shape is the same.
  const reflection = new ReflectionService(loadPackageDefinition(reflected, { keepCase: true }) as never, {
    services: [...specs.map((s) => s.service), 'grpc.health.v1.Health'],
  });
  reflection.addToServer(server);

  const address = opts.address ?? grpcServerDefaults.address;
  let port: number;
  try {
    port = await bind(server, address, serverCredentials(opts.tls));
  } catch (e) {
    server.forceShutdown();
    throw e;
  }
  const host = address.slice(0, address.lastIndexOf(':'));
  const closeGraceMs = opts.closeGraceMs ?? grpcServerDefaults.closeGraceMs;
  let closing: Promise<void> | undefined;

  return {
    server,
    port,
    address: `${host}:${port}`,
    setServing,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of Object.keys(statuses)) health.setStatus(s, 'NOT_SERVING');
        // Streams live as long as their callers like: tell their handlers to finish now,
        // or shutdown would wait out the whole grace period for them.
        for (const abort of [...openStreams]) abort.abort(new UnavailableError('server closing', grpc.status.UNAVAILABLE));
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, closeGraceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}

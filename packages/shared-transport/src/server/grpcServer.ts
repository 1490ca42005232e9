// gRPC server factory: one or more services from .proto files, async handlers (req -> reply),
// grpc health and reflection registered, bound on 127.0.0.1:0 unless told otherwise.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { ProtoError } from '../errors.js';
import { serverCredentials, type TlsFiles } from '../tls.js';
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

/** One service: its .proto, its full name ('pkg.Service') and a handler per unary method. */
export interface ServiceSpec {
  protoPath: string;
  service: string;
  handlers: Record<string, UnaryHandler>;
}

export interface GrpcServerOptions extends Partial<ServiceSpec> {
  /** more services on the same server (e.g. peerLinkService(...)) */
  extraServices?: ServiceSpec[];
  /** default '127.0.0.1:0' (an ephemeral port; read it back from the result) */
  address?: string;
  tls?: TlsFiles;
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
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(handler(call.request, ctx));
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (value) => reply(null, value ?? {}),
      (e: unknown) => reply(errorToStatus(e)),
    );
  };
}

function implementationFor(spec: ServiceSpec): { definition: grpc.ServiceDefinition; impl: grpc.UntypedServiceImplementation } {
  const ctor = lookupService(spec.protoPath, spec.service);
  const definition = ctor.service;
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(spec.handlers)) {
    const m = definition[method];
    if (!m) throw new ProtoError(`${spec.service} has no method ${method}`);
    if (m.requestStream || m.responseStream) throw new ProtoError(`${spec.service}.${method} is streaming; only unary handlers are supported`);
    impl[method] = wrapUnary(`${spec.service}.${method}`, handler);
  }
  for (const method of Object.keys(definition)) {
    if (!impl[method]) {
      impl[method] = ((_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback({ code: grpc.status.UNIMPLEMENTED, details: `${spec.service}.${method} is not implemented` })) as grpc.UntypedHandleCall;
    }
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
    specs.unshift({ protoPath: opts.protoPath, service: opts.service, handlers: opts.handlers });
  }
  if (specs.length === 0) throw new TypeError('createGrpcServer: no service given');

  const messageBytesMax = opts.messageBytesMax ?? grpcServerDefaults.messageBytesMax;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': messageBytesMax,
    ...opts.serverOptions,
  });
  for (const spec of specs) {
    const { definition, impl } = implementationFor(spec);
    server.addService(definition, impl);
  }

  const statuses: Record<string, ServingStatus> = { '': 'SERVING' };
  for (const spec of specs) statuses[spec.service] = 'SERVING';
  const health = new HealthImplementation(statuses);
  health.addToServer(server);

  const allProtos = [...new Set(specs.map((s) => s.protoPath))];
  // @grpc/reflection is typed against its own proto-loader copy; the runtime shape is the same.
  const reflection = new ReflectionService(loadPackageDefinition(allProtos) as never, {
    services: specs.map((s) => s.service),
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
    setServing: (service, status) => health.setStatus(service, status),
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of Object.keys(statuses)) health.setStatus(s, 'NOT_SERVING');
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

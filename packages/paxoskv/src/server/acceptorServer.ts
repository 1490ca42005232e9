// The acceptor process: the seed's PaxosKV service (Prepare, Accept) plus the added
// Batch method, over gRPC with health and reflection, state in a durable AcceptorStore.
import { createGrpcServer, type GrpcServer } from '@quorumkit/shared-transport';
import type { Logger } from 'pino';
import { type AcceptorViewConfig, DEFAULT_CLUSTER_ID, accept, clusterIdProblem, commit, learn, prepare, viewMismatch } from '../core/index.js';
import { BadRequestError, ClusterViewError, ListenError, UsageError } from '../errors.js';
import { AcceptorStore, type AcceptorStoreOptions } from '../storage/acceptorStore.js';
import {
  type WireAcceptor,
  type WireBatchOp,
  type WireProposer,
  ballotFromWire,
  instanceFromWire,
  opKindFromWire,
  replyToWire,
  valueFromWire,
  viewFromWire,
} from '../wire/codec.js';
import { PROTO_PATH, SERVICE_NAME, defaultAcceptorAddress } from '../wire/protoPath.js';


export interface AcceptorServerOptions {
  id: number;
  /** host:port to listen on (default 127.0.0.1:<3333+id>) */
  address?: string;
  /** data directory, or in-memory (tests only: loses everything on close) */
  data: string | { memory: true };
  store?: AcceptorStoreOptions;
  /** most ops one Batch call may carry */
  batchOpsMax?: number;
  logger?: Logger;
  /** the cluster's name; every request of our clients carries it (default 'paxoskv') */
  clusterId?: string;
  /** how many acceptors the cluster has (default 3); a client counting over another number is refused */
  members?: number;
  /** serve requests without a cluster id, as a client built from the seed's proto sends (default true) */
  allowUnnamedClients?: boolean;
}

export const acceptorServerDefaults = { batchOpsMax: 4096, members: 3, allowUnnamedClients: true } as const;

export interface AcceptorServer {
  id: number;
  address: string;
  port: number;
  store: AcceptorStore;
  grpc: GrpcServer;
  close(): Promise<void>;
}

export async function startAcceptor(opts: AcceptorServerOptions): Promise<AcceptorServer> {
  const view: AcceptorViewConfig = {
    clusterId: opts.clusterId ?? DEFAULT_CLUSTER_ID,
    members: opts.members ?? acceptorServerDefaults.members,
    allowUnnamedClients: opts.allowUnnamedClients ?? acceptorServerDefaults.allowUnnamedClients,
  };
  const idProblem = clusterIdProblem(view.clusterId);
  if (idProblem) throw new UsageError(idProblem);
  if (!Number.isInteger(view.members) || view.members < 1 || view.members > 99) throw new UsageError(`members must be 1..99, got ${view.members}`);
  if (opts.id >= view.members) throw new UsageError(`acceptor id ${opts.id} is not below the member count ${view.members}`);
  const store = await AcceptorStore.open(opts.data, opts.store);
  const batchOpsMax = opts.batchOpsMax ?? acceptorServerDefaults.batchOpsMax;
  const log = opts.logger;
  const checkView = (m: { ClusterId?: string | null; Members?: number | null } | null | undefined): void => {
    const why = viewMismatch(view, viewFromWire(m));
    if (why) throw new ClusterViewError(why);
  };

  const handlePrepare = async (req: WireProposer): Promise<WireAcceptor> => {
    const id = instanceFromWire(req.Id);
    const bal = ballotFromWire(req.Bal);
    return replyToWire(await store.apply(id, (s) => prepare(s, bal)));
  };
  const handleAccept = async (req: WireProposer): Promise<WireAcceptor> => {
    const id = instanceFromWire(req.Id);
    const bal = ballotFromWire(req.Bal);
    const val = valueFromWire(req.Val);
    return replyToWire(await store.apply(id, (s) => accept(s, bal, val)));
  };

  const handleOp = async (op: WireBatchOp): Promise<WireAcceptor> => {
    const kind = opKindFromWire(op.Kind);
    const req = op.Req ?? {};
    switch (kind) {
      case 'PREPARE':
        return handlePrepare(req);
      case 'ACCEPT':
        return handleAccept(req);
      case 'COMMIT': {
        const id = instanceFromWire(req.Id);
        const val = valueFromWire(req.Val);
        if (!val) throw new BadRequestError('COMMIT needs a value');
        // A commit is a learner hint, not a vote: no fsync of its own, no waiting for one.
        const r = await store.apply(
          id,
          (s) => {
            const step = commit(s, val);
            if (step.conflict) log?.warn({ key: id.key, ver: id.ver.toString() }, 'conflicting COMMIT ignored');
            return step;
          },
          { lazy: true },
        );
        return replyToWire(r);
      }
      case 'LEARN': {
        const id = instanceFromWire(req.Id);
        return replyToWire(learn(await store.read(id)));
      }
      case 'LATEST': {
        const { key } = instanceFromWire(req.Id);
        const { ver, state } = await store.latest(key);
        return replyToWire(learn(state), ver);
      }
    }
  };

  const handleBatch = async (req: { Ops?: WireBatchOp[] | null }): Promise<{ Replies: WireAcceptor[] }> => {
    const ops = req.Ops ?? [];
    if (ops.length > batchOpsMax) throw new BadRequestError(`Batch carries ${ops.length} ops, at most ${batchOpsMax}`);
    // Validate everything first so a bad op changes nothing.
    for (const op of ops) {
      opKindFromWire(op.Kind);
      instanceFromWire(op.Req?.Id);
      ballotFromWire(op.Req?.Bal);
      valueFromWire(op.Req?.Val);
    }
    return { Replies: await Promise.all(ops.map(handleOp)) };
  };

  const logged =
    <Req, Res>(name: string, fn: (req: Req) => Promise<Res>) =>
    async (req: Req): Promise<Res> => {
      try {
        return await fn(req);
      } catch (e) {
        log?.warn({ method: name, err: (e as Error).message }, 'request failed');
        throw e;
      }
    };

  const address = opts.address ?? defaultAcceptorAddress(opts.id);
  let grpc: GrpcServer;
  try {
    grpc = await createGrpcServer({
      protoPath: PROTO_PATH,
      service: SERVICE_NAME,
      address,
      handlers: {
        Prepare: logged('Prepare', async (req: WireProposer) => (checkView(req), handlePrepare(req))),
        Accept: logged('Accept', async (req: WireProposer) => (checkView(req), handleAccept(req))),
        Batch: logged('Batch', async (req: { Ops?: WireBatchOp[] | null; ClusterId?: string | null; Members?: number | null }) => (checkView(req), handleBatch(req))),
      },
    });
  } catch (e) {
    await store.close();
    const msg = (e as Error).message ?? String(e);
    const why = /EADDRINUSE/.test(msg) ? 'address already in use' : /EADDRNOTAVAIL|ENOTFOUND/.test(msg) ? 'no such local address' : msg;
    throw new ListenError(`cannot listen on ${address}: ${why}`);
  }
  log?.info({ id: opts.id, cluster: view.clusterId, members: view.members, address: grpc.address, data: typeof opts.data === 'string' ? opts.data : 'memory' }, 'acceptor listening');

  let closing: Promise<void> | undefined;
  return {
    id: opts.id,
    address: grpc.address,
    port: grpc.port,
    store,
    grpc,
    close() {
      closing ??= (async () => {
        await grpc.close();
        await store.close();
      })();
      return closing;
    },
  };
}

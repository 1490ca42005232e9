// The acceptor process: the seed's PaxosKV service (Prepare, Accept) plus the added
// Batch method, over gRPC with health and reflection, state in a durable AcceptorStore.
import { createGrpcServer, type GrpcServer, type TlsFiles, type TlsReloader } from '@quorumkit/shared-transport';
import type { Logger } from 'pino';
import { type AcceptorViewConfig, type Value, DEFAULT_CLUSTER_ID, accept, formatBallot, clusterIdProblem, commit, judgeClaim, learn, prepare, viewMismatch } from '../core/index.js';
import { BadRequestError, ClusterViewError, ListenError, RecoveringError, UsageError } from '../errors.js';
import { openAcceptorReplica } from '../storage/openAcceptorReplica.js';
import { recoverFromPeers } from './recovery.js';
import { type OpReply, batchStreamHandler } from './batchStream.js';
import { parseOp, type ParsedOp } from './parsedOp.js';
import { AcceptorMetrics, serveMetrics } from './metrics.js';
import { AcceptorStore, type AcceptorStoreOptions } from '../storage/acceptorStore.js';
import {
  type WireAcceptor,
  type WireBatchOp,
  type WireProposer,
  ballotFromWire,
  instanceFromWire,
  replyToWire,
  valueFromWire,
  viewFromWire,
  instanceToWire,
  type WireInstanceId,
} from '../wire/codec.js';

interface WireDumpRequest {
  ClusterId?: string | null;
  Members?: number | null;
  After?: WireInstanceId | null;
  Limit?: number | null;
  From?: number | null;
  Incarnation?: string | number | null;
  Nonce?: string | null;
  KeyPromises?: boolean | null;
}
const recoveryPageMax = 512;
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
  /** create the cluster: a fresh data directory votes at once. Only at the cluster's very first start. */
  bootstrap?: boolean;
  /** damaged state: 'recover' (default: moved aside, re-learned from the others) or 'refuse' to start */
  onDamaged?: 'recover' | 'refuse';
  /** every member's address, index = acceptor id: whom a RECOVERING acceptor re-learns from */
  peers?: string[] | (() => string[]);
  /** host:port to serve Prometheus metrics on (GET /metrics); omitted: none */
  metricsAddress?: string;
  /** TLS for the acceptor's port and for dialling its peers during a recovery (omitted: plaintext) */
  tls?: TlsFiles | TlsReloader;
}

export const acceptorServerDefaults = { batchOpsMax: 4096, members: 3, allowUnnamedClients: true } as const;

export interface AcceptorServer {
  id: number;
  /** 'recovering' until the state lost or damaged on disk was re-learned from the other acceptors */
  mode(): 'voting' | 'recovering';
  /** resolves once the acceptor votes (at once unless it started recovering) */
  recovered: Promise<void>;
  /** the start decision, one line (for the operator) */
  startMessage: string;
  address: string;
  port: number;
  store: AcceptorStore;
  grpc: GrpcServer;
  /** where GET /metrics is served (undefined: no --metrics-addr) */
  metricsAddress?: string;
  metrics: AcceptorMetrics;
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
  let store!: AcceptorStore;
  let startMessage: string;
  // made before the store so that the store's group commit reports into its fsync histogram
  const metrics = new AcceptorMetrics(opts.id, () => store);
  const storeOpts = { ...opts.store, onSynced: (seconds: number) => metrics.fsync.observe(seconds) };
  if (typeof opts.data === 'string') {
    const r = await openAcceptorReplica(opts.data, {
      clusterId: view.clusterId,
      id: opts.id,
      bootstrap: opts.bootstrap ?? false,
      onDamaged: opts.onDamaged ?? 'recover',
      store: storeOpts,
    });
    store = r.store;
    startMessage = r.message;
  } else {
    store = await AcceptorStore.open(opts.data, storeOpts);
    startMessage = `acceptor ${opts.id} of cluster ${view.clusterId}: in-memory state; voting`;
  }
  const notWhileRecovering = (): void => {
    if (store.recovering) {
      throw new RecoveringError(`acceptor ${opts.id} is RECOVERING: its state is being re-learned from the other acceptors; it does not vote yet`);
    }
  };
  const batchOpsMax = opts.batchOpsMax ?? acceptorServerDefaults.batchOpsMax;
  const log = opts.logger;
  const checkView = (m: { ClusterId?: string | null; Members?: number | null } | null | undefined): void => {
    const why = viewMismatch(view, viewFromWire(m));
    if (why) throw new ClusterViewError(why);
  };

  // `added`: the caller speaks the added fields (Batch, or a unary call naming a cluster); a seed
  // client gets the seed's fields only (issue 17 item 4)
  const handlePrepare = async (req: WireProposer, added = true): Promise<WireAcceptor> => {
    const id = instanceFromWire(req.Id);
    const bal = ballotFromWire(req.Bal);
    return replyToWire(await store.apply(id, (s) => prepare(s, bal)), undefined, added);
  };
  const handleAccept = async (req: WireProposer, added = true): Promise<WireAcceptor> => {
    const id = instanceFromWire(req.Id);
    const bal = ballotFromWire(req.Bal);
    const val = valueFromWire(req.Val);
    return replyToWire(await store.apply(id, (s) => accept(s, bal, val)), undefined, added);
  };
  const speaksAdded = (req: WireProposer): boolean => (req.ClusterId ?? '') !== '';

  // A commit is a learner hint, not a vote: no fsync of its own, no waiting for one.
  const commitHint = (id: { key: string; ver: bigint }, val: Value) =>
    store.apply(
      id,
      (s) => {
        const step = commit(s, val);
        if (step.conflict) log?.warn({ key: id.key, ver: id.ver.toString() }, 'conflicting COMMIT ignored');
        return step;
      },
      { lazy: true },
    );

  /** One op of a batch, answered in core form (`ver`: the Ver field of LATEST/PREPARE_FROM). */
  const handleOp = async (op: ParsedOp): Promise<OpReply> => {
    metrics.ops.inc({ kind: op.kind });
    const { id, bal, val } = op;
    switch (op.kind) {
      case 'PREPARE':
        return { r: await store.apply(id, (s) => prepare(s, bal)) };
      case 'ACCEPT':
        return { r: await store.apply(id, (s) => accept(s, bal, val)) };
      case 'COMMIT':
        if (!val) throw new BadRequestError('COMMIT needs a value');
        return { r: await commitHint(id, val) };
      case 'LEARN':
        return { r: learn(await store.read(id)) };
      case 'LATEST': {
        const { ver, state } = await store.latest(id.key);
        return { r: learn(state), ver };
      }
      case 'PREPARE_FROM': {
        const r = await store.prepareFrom(id.key, id.ver, bal);
        return { r: { lastBal: r.lastBal, val: null, vBal: null, chosen: null }, ver: r.touched };
      }
    }
  };

  /** Who answers, as which incarnation, knowing whom at which (incarnation fencing; our clients only). */
  const origin = () => ({
    AcceptorId: opts.id,
    Incarnation: store.incarnation.incarnation.toString(),
    Known: store.knownIncarnations(view.members).map(String),
  });

  /** The ops of one Batch (unary or a BatchStream frame): all validated first, then run. */
  const runBatch = async (wireOps: WireBatchOp[]): Promise<OpReply[]> => {
    if (wireOps.length > batchOpsMax) throw new BadRequestError(`Batch carries ${wireOps.length} ops, at most ${batchOpsMax}`);
    // Parse everything first so a bad op changes nothing.
    const ops = wireOps.map(parseOp);
    metrics.batchOps.observe(ops.length);
    // COMMIT hints start after the votes of the same call, so a COMMIT of v riding with an
    // ACCEPT of v+1 finds that vote and costs no write (the store keeps such a hint in memory)
    const replies: Promise<OpReply>[] = new Array(ops.length);
    ops.forEach((op, i) => {
      if (op.kind !== 'COMMIT') replies[i] = handleOp(op);
    });
    const hints: Promise<unknown>[] = [];
    ops.forEach((op, i) => {
      if (op.kind === 'COMMIT') replies[i] = handleOp(op);
      // a COMMIT of the version below, riding on this vote (one op instead of two)
      else if (op.kind === 'ACCEPT' && op.prev && op.id.ver > 0n) hints.push(commitHint({ key: op.id.key, ver: op.id.ver - 1n }, op.prev).catch(() => undefined));
    });
    const done = await Promise.all(replies);
    await Promise.all(hints);
    return done;
  };

  const handleBatch = async (req: { Ops?: WireBatchOp[] | null }): Promise<{ Replies: WireAcceptor[]; AcceptorId: number; Incarnation: string; Known: string[] }> => {
    const done = await runBatch(req.Ops ?? []);
    // read after the ops: a peer incarnation recorded meanwhile only makes proposers stricter
    return { Replies: done.map((d) => replyToWire(d.r, d.ver)), ...origin() };
  };

  const handleDump = async (req: WireDumpRequest): Promise<{ Entries: { Id: unknown; State: WireAcceptor }[]; Done: boolean; Stale?: boolean; Known?: string }> => {
    const from = Number(req.From ?? -1);
    if (!Number.isInteger(from) || from < 0 || from >= view.members || from === opts.id) throw new BadRequestError(`Dump.From must be another member's id (0..${view.members - 1}), got ${String(req.From)}`);
    let inc: bigint;
    try {
      inc = BigInt(req.Incarnation ?? '0');
    } catch {
      throw new BadRequestError(`Dump.Incarnation is not an integer: ${String(req.Incarnation)}`);
    }
    const nonce = req.Nonce ?? '';
    if (inc < 1n || nonce === '' || nonce.length > 128) throw new BadRequestError('Dump needs an Incarnation >= 1 and a Nonce (1..128 chars)');
    const claim = judgeClaim(store.knownOf(from), inc, nonce);
    if (!claim.serve) return { Entries: [], Done: false, Stale: true, Known: claim.known.toString() };
    // durable before any state leaves: from now on every reply of ours names the new incarnation
    if (claim.record) await store.recordPeerIncarnation(from, { incarnation: inc, nonce });
    const limit = Math.min(Math.max(Number(req.Limit ?? 0) || recoveryPageMax, 1), recoveryPageMax);
    if (req.KeyPromises) {
      // the key promises, so the recovering acceptor's floor is above their ballots too
      const kps = await store.dumpKeyPromises(req.After ? instanceFromWire(req.After).key : null, limit);
      return {
        Entries: kps.map((e) => ({ Id: instanceToWire({ key: e.key, ver: e.kp.from }), State: replyToWire({ lastBal: e.kp.bal, val: null, vBal: null, chosen: null }) })),
        Done: kps.length < limit,
      };
    }
    const after = req.After ? instanceFromWire(req.After) : null;
    const page = await store.dump(after, limit);
    return {
      Entries: page.map((e) => ({ Id: instanceToWire(e.id), State: replyToWire({ ...e.state, vBal: e.state.vBal }) })),
      Done: page.length < limit,
    };
  };

  const logged =
    <Req, Res>(name: string, fn: (req: Req) => Promise<Res>) =>
    async (req: Req): Promise<Res> => {
      try {
        return await fn(req);
      } catch (e) {
        metrics.refused.inc({ method: name, code: String((e as { code?: unknown }).code ?? 'EINTERNAL') });
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
      ...(opts.tls ? { tls: opts.tls } : {}),
      handlers: {
        Prepare: logged('Prepare', async (req: WireProposer) => (checkView(req), notWhileRecovering(), metrics.ops.inc({ kind: 'PREPARE' }), handlePrepare(req, speaksAdded(req)))),
        Accept: logged('Accept', async (req: WireProposer) => (checkView(req), notWhileRecovering(), metrics.ops.inc({ kind: 'ACCEPT' }), handleAccept(req, speaksAdded(req)))),
        Batch: logged('Batch', async (req: { Ops?: WireBatchOp[] | null; ClusterId?: string | null; Members?: number | null }) => (checkView(req), notWhileRecovering(), handleBatch(req))),
        Dump: logged('Dump', async (req: WireDumpRequest) => {
          // a peer's recovery counts only acceptors of this very cluster and view
          const v = viewFromWire(req);
          if (v.clusterId === '') throw new ClusterViewError('Dump needs a cluster id');
          checkView(req);
          notWhileRecovering();
          return handleDump(req);
        }),
      },
      bidiStreamHandlers: {
        BatchStream: batchStreamHandler({
          run: (ops, frame) => (checkView(frame), notWhileRecovering(), runBatch(ops)),
          origin,
          refused: (e) => {
            metrics.refused.inc({ method: 'Batch', code: String((e as { code?: unknown }).code ?? 'EINTERNAL') });
            log?.warn({ method: 'Batch', stream: true, err: (e as Error).message }, 'request failed');
          },
        }),
      },
    });
  } catch (e) {
    await store.close();
    const msg = (e as Error).message ?? String(e);
    const why = /EADDRINUSE/.test(msg) ? 'address already in use' : /EADDRNOTAVAIL|ENOTFOUND/.test(msg) ? 'no such local address' : msg;
    throw new ListenError(`cannot listen on ${address}: ${why}`);
  }
  log?.info({ id: opts.id, cluster: view.clusterId, members: view.members, address: grpc.address, data: typeof opts.data === 'string' ? opts.data : 'memory' }, 'acceptor listening');
  log?.info({ id: opts.id, recovering: store.recovering }, startMessage);

  let metricsServer: { address: string; close(): Promise<void> } | undefined;
  if (opts.metricsAddress !== undefined) {
    try {
      metricsServer = await serveMetrics(opts.metricsAddress, metrics.registry);
    } catch (e) {
      await grpc.close();
      await store.close();
      throw new ListenError(`cannot serve metrics on ${opts.metricsAddress}: ${(e as Error).message}`);
    }
    log?.info({ id: opts.id, metrics: metricsServer.address }, 'metrics on GET /metrics');
  }
  const stop = new AbortController();
  const setHealth = (status: 'SERVING' | 'NOT_SERVING'): void => {
    grpc.setServing('', status);
    grpc.setServing(SERVICE_NAME, status);
  };
  let recovered: Promise<void> = Promise.resolve();
  if (store.recovering) {
    setHealth('NOT_SERVING');
    const peers = typeof opts.peers === 'function' ? opts.peers : (): string[] => (opts.peers as string[] | undefined) ?? [];
    recovered = recoverFromPeers({ selfId: opts.id, peers, view, store, signal: stop.signal, ...(log ? { logger: log } : {}), ...(opts.tls ? { tls: opts.tls } : {}) }).then(
      (floor) => {
        setHealth('SERVING');
        log?.info({ id: opts.id, floor: formatBallot(floor) }, `acceptor ${opts.id} recovered: re-learned from a majority of the other acceptors; voting above ballot ${formatBallot(floor)}`);
      },
      (e: unknown) => {
        if (!stop.signal.aborted) log?.error({ id: opts.id, err: (e as Error).message }, 'recovery failed');
      },
    );
  }

  let closing: Promise<void> | undefined;
  return {
    id: opts.id,
    mode: () => (store.recovering ? 'recovering' : 'voting'),
    recovered,
    startMessage,
    address: grpc.address,
    port: grpc.port,
    store,
    grpc,
    metrics,
    ...(metricsServer ? { metricsAddress: metricsServer.address } : {}),
    close() {
      closing ??= (async () => {
        stop.abort();
        await metricsServer?.close();
        await recovered;
        await grpc.close();
        await store.close();
      })();
      return closing;
    },
  };
}

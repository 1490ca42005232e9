// RRServer: one replica of the sequence service and the coordinator for the GRPCNextID
// requests it receives. The engine (src/core) decides; this shell moves bytes: gRPC in and
// out, the state file (persisted before any dependent reply leaves), and timers.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TlsReloader, createGrpcServer, toBigInt, uint64ToWire, type GrpcServer, type TlsFiles } from '@quorumkit/shared-transport';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { IdentityMismatchError, type ReplicaIdentity } from '@quorumkit/shared-storage';
import { Engine, canonicalAddr, engineConfig, ID_MAX, membershipHash, membershipProblem, type AdminRequest, type AdminResult, type AllocErrorCode, type EngineConfig, type PeerResult } from '../core/index.js';
import { InvalidArgumentError, MembershipError, NamesQuotaError, NotReadyError } from '../errors.js';
import { rrSeqProtoPath } from '../protoPath.js';
import { bumpLost, loadIdentity, recordMembership } from '../storage/identity.js';
import { StateFile, loadState } from '../storage/stateFile.js';
import { LEASE_DEFAULTS, leaseHandler } from './leaseService.js';
import { peerStreamHandler } from './peerStream.js';
import { serverMetrics, type ServerMetrics } from './metrics.js';
import { PEER_CLIENT_DEFAULTS, PeerClient, type PeerClientOptions } from './peerClient.js';
import { normalizeAddr, opFromWire, resultToWire, type WirePeerOp } from './wire.js';

export interface RRServerOptions extends Partial<Omit<EngineConfig, 'nodes' | 'self'>>, Partial<PeerClientOptions> {
  /** Where to listen, e.g. ':19001' or '127.0.0.1:0'. */
  addr: string;
  /** The persist file ('' keeps state in memory only: for tests and benchmarks). */
  path: string;
  /** The other servers' addresses (this server counts itself once). */
  peers: string[];
  /** fsync the state file (default true; false only for benchmarks). */
  fsync?: boolean;
  /** Log bytes appended beyond the last snapshot before it is compacted (at least the snapshot's size). */
  compactBytesMin?: number;
  /** Most time between checks that the persist file was not deleted or replaced (ms, default 100). */
  statIntervalMs?: number;
  logger?: Logger;
  /** Longest sequence name accepted, in bytes. */
  nameBytesMax?: number;
  /** Requests one GRPCLease stream may have in flight; one more is refused (ELEASELIMIT). */
  leaseInFlightMax?: number;
  /** Largest range one GRPCNextID may ask for. */
  rangeSizeMax?: bigint;
  /** Called each time this replica becomes able to serve (after start, init or recovery). */
  onServing?: () => void;
  /**
   * TLS on the server's port (clients, admin and peers share it) and on the links it dials
   * to its peers, with the same certificate (docs/tls.md). Give a TlsReloader to reload on
   * SIGHUP; TlsFiles are read once. With `requireClientCert` (mTLS) every client and peer
   * needs a certificate signed by `ca`. Default: plaintext.
   */
  tls?: TlsFiles | TlsReloader;
}

export const RR_SERVER_DEFAULTS = { nameBytesMax: 256, rangeSizeMax: 1n << 40n } as const;

interface Waiter {
  resolve: (r: { from: bigint; to: bigint; error?: AllocErrorCode }) => void;
}

export class RRServer {
  private engine!: Engine;
  private file!: StateFile;
  private grpc!: GrpcServer;
  private peers: PeerClient[] = [];
  private readonly waiters = new Map<number, Waiter>();
  /** Requests of this event-loop turn, handed to the engine together (submitRequests). */
  private submit: Array<{ req: number; name: string; size: bigint }> = [];
  private submitScheduled = false;
  private nextReq = 1;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closing: Promise<void> | undefined;
  private readonly served = { ranges: 0, ids: 0n, streamed: 0 };
  private healthReady: boolean | undefined;
  private identity: ReplicaIdentity | undefined;
  private identityWriting = false;
  private servingAnnounced = false;
  readonly log: Logger;
  readonly metrics: Registry;
  private readonly observeFsync: ServerMetrics['observeFsync'];

  private constructor(private readonly opts: RRServerOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    const m = serverMetrics(
      () => this.engine,
      () => this.file,
      () => this.served,
      () => this.peers,
    );
    this.metrics = m.registry;
    this.observeFsync = m.observeFsync;
  }

  /** The seed's constructor: RRServer.create(addr, path, ...peers). */
  static create(addr: string, path: string, ...peers: string[]): Promise<RRServer> {
    return RRServer.start({ addr, path, peers });
  }

  static async start(opts: RRServerOptions): Promise<RRServer> {
    const s = new RRServer(opts);
    await s.open();
    return s;
  }

  /** The bound address ('127.0.0.1:PORT'), also when asked for port 0. */
  addr(): string {
    return this.grpc.address;
  }

  get ready(): boolean {
    return this.engine.ready;
  }

  /** Why the replica is not ready yet ('' when it is). */
  get recoveryStatus(): string {
    return this.engine.ready ? '' : this.engine.recoveryStatus || 'waiting for peers';
  }

  private async open(): Promise<void> {
    const o = this.opts;
    const problem = membershipProblem(o.addr, o.peers);
    if (problem) throw new MembershipError(problem);
    const peers = o.peers.map(normalizeAddr);
    if (peers.length > 0 && /:0+$/.test(o.addr.trim())) {
      throw new MembershipError('port 0 is only for a single server: peers must know the address this server listens on');
    }
    const cfg = engineConfig(peers.length + 1, 0, stripUndefined({
      membership: membershipHash([o.addr, ...o.peers]),
      deadlineMs: o.deadlineMs,
      attemptTimeoutMs: o.attemptTimeoutMs,
      backoffBaseMs: o.backoffBaseMs,
      backoffMaxMs: o.backoffMaxMs,
      batchRequestsMax: o.batchRequestsMax,
      pipelineDepth: o.pipelineDepth,
      namesCachedMax: o.namesCachedMax,
      recoveryIntervalMs: o.recoveryIntervalMs,
      recoveryRoundTimeoutMs: o.recoveryRoundTimeoutMs,
      namesMax: o.namesMax,
    }));
    if (o.path !== '') await mkdir(dirname(o.path), { recursive: true });
    const loaded = await loadState(o.path);
    if (loaded.problem) this.log.warn({ problem: loaded.problem }, 'state file unusable: recovering from peers');
    if (loaded.tornBytes) this.log.warn({ bytes: loaded.tornBytes }, 'dropped an interrupted append at the end of the state file (never acknowledged)');
    const id = await loadIdentity(o.path);
    this.identity = id.identity;
    if (id.damaged) this.log.warn({ problem: id.damaged }, 'identity record damaged: this server was a cluster member; recovering from peers');
    const stateCluster = loaded.state?.cluster ?? '';
    if (id.identity && stateCluster !== '' && stateCluster !== id.identity.clusterId) {
      throw new IdentityMismatchError(`${o.path} holds state of cluster ${stateCluster} but its identity record says cluster ${id.identity.clusterId}`);
    }
    // Fresh only with no persist file, no identity record and nothing unreadable: a blank
    // server (it may adopt an init). A lost persist file next to an identity is a lost state.
    const fresh = loaded.state === undefined && loaded.problem === undefined && id.identity === undefined && id.damaged === undefined;
    if (!loaded.state?.ready && id.identity) {
      this.identity = await bumpLost(o.path, `persist file ${loaded.problem ? 'unusable' : 'missing'}: recovering from peers`);
      this.log.warn({ cluster: id.identity.clusterId, incarnation: String(this.identity.incarnation) }, 'this server was a member of a cluster but its persist file is gone or unusable: recovering from peers (never re-initialised)');
    }
    this.engine = new Engine(cfg, loaded.state, {
      now: () => performance.now(),
      random: Math.random,
      newIncarnation: () => randomBytes(8).toString('hex'),
      sendPeer: (to, ops) => this.peers[to - 1]!.send(ops),
      // After a persist the engine may have become ready (boot counter, recovery): re-arm.
      persist: (done) => this.file.persist((ok) => {
        done(ok);
        this.arm();
      }),
      completed: (req, from, to, error) => {
        const w = this.waiters.get(req);
        this.waiters.delete(req);
        w?.resolve(error ? { from, to, error } : { from, to });
      },
      log: (level, msg) => this.log[level](msg),
    }, fresh, id.identity?.clusterId ?? '');
    const source = { takeDelta: () => this.engine.takeDelta(), snapshot: () => this.engine.snapshot() };
    this.file = new StateFile(o.path, source, stripUndefined({ fsync: o.fsync ?? true, compactBytesMin: o.compactBytesMin, statIntervalMs: o.statIntervalMs, onFsync: this.observeFsync }) as { fsync: boolean });
    const peerOpts: PeerClientOptions = {
      callDeadlineMs: o.callDeadlineMs ?? PEER_CLIENT_DEFAULTS.callDeadlineMs,
      inFlightMax: o.inFlightMax ?? PEER_CLIENT_DEFAULTS.inFlightMax,
      batchOpsMax: o.batchOpsMax ?? PEER_CLIENT_DEFAULTS.batchOpsMax,
      queueOpsMax: o.queueOpsMax ?? PEER_CLIENT_DEFAULTS.queueOpsMax,
    };
    const protoPath = rrSeqProtoPath();
    // One reloader for the server and the peer links, so both present the same certificate.
    const tls = o.tls === undefined || o.tls instanceof TlsReloader ? o.tls : new TlsReloader(o.tls, { logger: this.log });
    this.peers = peers.map(
      (addr, i) => new PeerClient(addr, protoPath, 0, (results) => this.onPeerResults(i + 1, results), peerOpts, tls),
    );
    const leaseMax = o.leaseInFlightMax ?? LEASE_DEFAULTS.leaseInFlightMax;
    this.grpc = await createGrpcServer({
      protoPath,
      service: 'pb.RRAPI',
      address: normalizeAddr(o.addr),
      ...(tls ? { tls } : {}),
      handlers: {
        GRPCNextID: (req: { name: string; rangeSize: string }) => this.nextId(req),
        GRPCCurID: (req: { name: string }) => this.curId(req),
        GRPCSetID: (req: { name: string; newId: string }) => this.setId(req),
        GRPCPeer: (req: { ops: WirePeerOp[] }) => this.peer(req),
        GRPCAdmin: (req: { command: string; floor: string }) => this.adminRpc(req),
      },
      bidiStreamHandlers: { GRPCPeerStream: peerStreamHandler((req) => this.peer(req)) },
      extraServices: [
        {
          protoPath,
          service: 'pb.RRLease',
          handlers: {},
          bidiStreamHandlers: { GRPCLease: leaseHandler((req) => this.nextId(req), leaseMax, () => this.served.streamed++) },
        },
      ],
    });
    this.engine.start();
    this.arm();
    this.log.info({ addr: this.grpc.address, peers, path: o.path }, 'listening');
  }

  private validName(name: unknown): name is string {
    return typeof name === 'string' && name.length > 0 && Buffer.byteLength(name) <= (this.opts.nameBytesMax ?? RR_SERVER_DEFAULTS.nameBytesMax);
  }

  private async nextId(req: { name: string; rangeSize: string }): Promise<{ fromId: string; toId: string }> {
    const fail = { fromId: '0', toId: '0' };
    let size: bigint;
    try {
      size = toBigInt(req.rangeSize);
    } catch {
      return fail;
    }
    const max = this.opts.rangeSizeMax ?? RR_SERVER_DEFAULTS.rangeSizeMax;
    // The original's rule: a range_size below 1 means 1 (its buffer-0 client sends 0).
    if (size < 1n) size = 1n;
    if (!this.validName(req.name) || size > max || this.closing) return fail;
    this.checkQuota(req.name);
    const id = this.nextReq++;
    const r = await new Promise<{ from: bigint; to: bigint; error?: AllocErrorCode }>((resolve) => {
      this.waiters.set(id, { resolve });
      this.submit.push({ req: id, name: req.name, size });
      if (!this.submitScheduled) {
        this.submitScheduled = true;
        setImmediate(() => this.submitRequests());
      }
    });
    if (r.error || r.to > ID_MAX) {
      this.log.debug({ name: req.name, error: r.error }, 'allocation failed');
      // Say why when this server itself cannot serve (e.g. a majority lost: the reason
      // names the way out); an original client sees a failed call either way.
      if (!this.engine.ready && !this.closing) throw new NotReadyError(`this server cannot serve: ${this.recoveryStatus}`);
      return fail;
    }
    this.served.ranges += 1;
    this.served.ids += r.to - r.from;
    return { fromId: uint64ToWire(r.from), toId: uint64ToWire(r.to) };
  }

  /**
   * Hand the engine every request that arrived in this event-loop turn at once (from any
   * stream or call): the requests of one name then share one allocation round, where
   * handing them over one by one would start a round for the first alone.
   */
  private submitRequests(): void {
    this.submitScheduled = false;
    const reqs = this.submit;
    this.submit = [];
    // Closing resolved every waiter already.
    if (this.closing || reqs.length === 0) return;
    this.engine.nextIds(reqs);
    this.arm();
  }

  /** A name this server does not store yet, while it stores as many as it may: refused. */
  private checkQuota(name: string): void {
    const r = this.engine.replica;
    if (r.ready && r.namesFull && !r.has(name)) {
      throw new NamesQuotaError(`ENAMESQUOTA: this server stores ${r.names()} sequence names, its limit (namesMax): a new name is refused`);
    }
  }

  /** Form a new cluster (every server must be up and blank). See core/bootstrap.ts. */
  init(): Promise<AdminResult> {
    return this.admin({ kind: 'init' });
  }

  /**
   * The operator's way out of a majority loss: every server that answers continues every
   * name at or above `floor` (and above what any ready survivor holds). IDs handed out
   * before at or above `floor` may repeat: choose it above every ID ever handed out.
   */
  forceRecover(floor: bigint): Promise<AdminResult> {
    if (floor < 1n || floor >= ID_MAX) return Promise.resolve({ ok: false, message: `EINVAL: floor must be in 1..${ID_MAX - 1n}` });
    return this.admin({ kind: 'force', floor });
  }

  private admin(req: AdminRequest): Promise<AdminResult> {
    if (this.closing) return Promise.resolve({ ok: false, message: 'server is closing' });
    return new Promise<AdminResult>((resolve) => {
      this.engine.admin(req, resolve);
      this.arm();
    });
  }

  private async adminRpc(req: { command: string; floor: string }): Promise<AdminResult> {
    switch (req.command) {
      case 'init':
        return this.init();
      case 'force-recover': {
        let floor: bigint;
        try {
          floor = toBigInt(req.floor);
        } catch {
          return { ok: false, message: 'EINVAL: floor is not a number' };
        }
        return this.forceRecover(floor);
      }
      case 'status':
        return { ok: this.engine.ready, message: this.engine.ready ? `ready: member of cluster ${this.engine.replica.cluster}` : `not ready: ${this.recoveryStatus}` };
      default:
        return { ok: false, message: `EINVAL: unknown command "${String(req.command)}" (init, force-recover, status)` };
    }
  }

  private curId(req: { name: string }): { curId: string } {
    if (!this.validName(req.name)) throw new InvalidArgumentError('name must be 1..256 bytes');
    const v = this.engine.curId(req.name);
    if (v === undefined) throw new NotReadyError(`replica is recovering its state from peers: ${this.recoveryStatus}`);
    return { curId: uint64ToWire(v) };
  }

  private async setId(req: { name: string; newId: string }): Promise<{ success: boolean }> {
    if (!this.validName(req.name)) return { success: false };
    let v: bigint;
    try {
      v = toBigInt(req.newId);
    } catch {
      return { success: false };
    }
    const r = this.engine.replica;
    if (r.namesFull && !r.has(req.name)) return { success: false };
    const ok = await new Promise<boolean>((resolve) => this.engine.setId(req.name, v, resolve));
    this.arm();
    return { success: ok };
  }

  private async peer(req: { ops: WirePeerOp[] }): Promise<{ results: ReturnType<typeof resultToWire>[] }> {
    const ops = (req.ops ?? []).map(opFromWire);
    const valid = ops.filter((o) => o !== undefined);
    const results = await new Promise<PeerResult[]>((resolve) => this.engine.handlePeerOps(-1, valid, resolve));
    this.arm();
    // Malformed ops are answered ERROR (in place) and changed nothing.
    let k = 0;
    const out = ops.map((o, i) =>
      o === undefined
        ? { id: String(req.ops[i]?.id ?? '0'), status: 'ERROR', value: '0', token: '', entries: [], empty: false }
        : resultToWire(results[k++]!),
    );
    return { results: out };
  }

  private onPeerResults(from: number, results: PeerResult[]): void {
    if (this.closing) return;
    this.engine.onPeerResults(from, results);
    this.arm();
  }

  /** Once a member: record it in the identity record next to the persist file (once). */
  private writeIdentity(): void {
    const cluster = this.engine.replica.cluster;
    if (this.opts.path === '' || this.identityWriting || this.identity?.clusterId === cluster) return;
    this.identityWriting = true;
    recordMembership(this.opts.path, this.identity, cluster, canonicalAddr(this.grpc.address), 'member').then(
      (idn) => {
        this.identity = idn;
        this.identityWriting = false;
      },
      (e: unknown) => {
        this.identityWriting = false;
        this.log.warn({ err: String(e) }, 'could not write the identity record; will retry');
        this.healthReady = undefined;
      },
    );
  }

  /** Make sure tick() runs when the engine next needs it. */
  private arm(): void {
    if (this.closing) return;
    // gRPC health: pb.RRAPI is SERVING once this replica holds a valid state.
    const ready = this.engine.ready;
    if (ready !== this.healthReady) {
      this.healthReady = ready;
      // The whole server ('') and pb.RRLease (GRPCNextID over a stream) serve exactly what pb.RRAPI serves.
      for (const svc of ['pb.RRAPI', 'pb.RRLease', '']) this.grpc.setServing(svc, ready ? 'SERVING' : 'NOT_SERVING');
      if (ready) {
        this.log.info({ cluster: this.engine.replica.cluster }, 'replica ready');
        this.writeIdentity();
      }
    }
    if (ready !== this.servingAnnounced) {
      this.servingAnnounced = ready;
      if (ready) this.opts.onServing?.();
    }
    const at = this.engine.nextWakeAt();
    if (at === undefined || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.engine.tick();
      this.arm();
    }, Math.max(0, at - performance.now()));
  }

  /** Stop serving, persist the final state, close every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      for (const w of this.waiters.values()) w.resolve({ from: 0n, to: 0n, error: 'EDEADLINE' });
      this.waiters.clear();
      await this.grpc.close();
      for (const p of this.peers) p.close();
      await new Promise<void>((resolve) => this.file.persist(() => resolve()));
      await this.file.close();
      this.log.info('closed');
    })();
    return this.closing;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

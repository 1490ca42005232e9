// RRServer: one replica of the sequence service and the coordinator for the GRPCNextID
// requests it receives. The engine (src/core) decides; this shell moves bytes: gRPC in and
// out, the state file (persisted before any dependent reply leaves), and timers. Its parts:
// serverOptions (options, defaults, engine config), loadReplica (state and identity found
// on disk), allocationBatch (each turn's requests to the engine together), servingState
// (health, the serving announcement, the identity record), adminRpc (operator commands).
import { randomBytes } from 'node:crypto';
import { TlsReloader, createGrpcServer, toBigInt, uint64ToWire, type GrpcServer } from '@quorumkit/shared-transport';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Engine, ID_MAX, membershipProblem, type AdminRequest, type AdminResult, type PeerResult } from '../core/index.js';
import { InvalidArgumentError, MembershipError, NamesQuotaError, NotReadyError } from '../errors.js';
import { rrSeqProtoPath } from '../protoPath.js';
import { StateFile } from '../storage/stateFile.js';
import { adminCommand, floorProblem } from './adminRpc.js';
import { AllocationBatch } from './allocationBatch.js';
import { LEASE_DEFAULTS, leaseHandler } from './leaseService.js';
import { loadReplica } from './loadReplica.js';
import { peerStreamHandler } from './peerStream.js';
import { serverMetrics, type ServerMetrics } from './metrics.js';
import { PeerClient } from './peerClient.js';
import { RR_SERVER_DEFAULTS, engineConfigFor, peerClientOptions, stripUndefined, type RRServerOptions } from './serverOptions.js';
import { ServingState } from './servingState.js';
import { normalizeAddr, opFromWire, resultToWire, type WirePeerOp } from './wire.js';

export { RR_SERVER_DEFAULTS, type RRServerOptions } from './serverOptions.js';

export class RRServer {
  private engine!: Engine;
  private file!: StateFile;
  private grpc!: GrpcServer;
  private peers: PeerClient[] = [];
  private readonly allocations = new AllocationBatch((reqs) => {
    this.engine.nextIds(reqs);
    this.arm();
  });
  private serving!: ServingState;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closing: Promise<void> | undefined;
  private readonly served = { ranges: 0, ids: 0n, streamed: 0 };
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
    const cfg = engineConfigFor(o, peers.length);
    const loaded = await loadReplica(o.path, this.log);
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
      completed: (req, from, to, error) => this.allocations.completed(req, from, to, error),
      log: (level, msg) => this.log[level](msg),
    }, loaded.fresh, loaded.knownCluster);
    this.serving = new ServingState(
      { path: o.path, log: this.log, setServing: (svc, st) => this.grpc.setServing(svc, st), boundAddr: () => this.grpc.address, ...(o.onServing ? { onServing: o.onServing } : {}) },
      loaded.identity,
    );
    const source = { takeDelta: () => this.engine.takeDelta(), snapshot: () => this.engine.snapshot() };
    this.file = new StateFile(o.path, source, stripUndefined({ fsync: o.fsync ?? true, compactBytesMin: o.compactBytesMin, statIntervalMs: o.statIntervalMs, onFsync: this.observeFsync }) as { fsync: boolean });
    const peerOpts = peerClientOptions(o);
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
    const r = await this.allocations.request(req.name, size);
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
    const problem = floorProblem(floor);
    if (problem) return Promise.resolve({ ok: false, message: problem });
    return this.admin({ kind: 'force', floor });
  }

  private admin(req: AdminRequest): Promise<AdminResult> {
    if (this.closing) return Promise.resolve({ ok: false, message: 'server is closing' });
    return new Promise<AdminResult>((resolve) => {
      this.engine.admin(req, resolve);
      this.arm();
    });
  }

  private adminRpc(req: { command: string; floor: string }): Promise<AdminResult> {
    return adminCommand(
      {
        init: () => this.init(),
        forceRecover: (floor) => this.forceRecover(floor),
        status: () => ({ ok: this.engine.ready, message: this.engine.ready ? `ready: member of cluster ${this.engine.replica.cluster}` : `not ready: ${this.recoveryStatus}` }),
      },
      req,
    );
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

  /** Make sure tick() runs when the engine next needs it. */
  private arm(): void {
    if (this.closing) return;
    this.serving.update(this.engine.ready, this.engine.replica.cluster);
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
      this.allocations.close('EDEADLINE');
      await this.grpc.close();
      for (const p of this.peers) p.close();
      await new Promise<void>((resolve) => this.file.persist(() => resolve()));
      await this.file.close();
      this.log.info('closed');
    })();
    return this.closing;
  }
}

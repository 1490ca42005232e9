// The I/O shell of one node: restores durable state, starts the four processors (message,
// follower, leader, consensus) as CSP loops joined by bounded channels, and wires them to TCP,
// the fsynced acceptor log and the instance log. Persist before send: the follower's records
// are fdatasynced (group commit) before its GATHER / ACK leave.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import type { TlsReloader } from '@quorumkit/shared-transport';
import { Acceptor, type AcceptorState, applyRecord } from '../core/acceptor.js';
import { judgeDisk } from '../core/identity.js';
import { Learner } from '../core/learner.js';
import { Proposer } from '../core/proposer.js';
import { Router } from '../core/router.js';
import { CORE_DEFAULTS, type CoreConfig, type Input, type KeySeen, type Msg, type Output, type ProcName, leaderOf } from '../core/types.js';
import { Channel } from '../csp/channel.js';
import { AcceptorLog, type AcceptorLogOptions } from '../storage/acceptorLog.js';
import { IdentityMismatch, nextIncarnation, readIdentity, writeIdentity } from '../storage/identity.js';
import { InstanceLogWriter, instanceLogPath, recoverCommitted, truncateInstanceLog } from '../storage/instanceLog.js';
import { logBasePath, readLogBase, writeLogBase } from '../storage/logBase.js';
import { ValueLogWriter, recoverValues, truncateValueLog, valueLogPath } from '../storage/valueLog.js';
import { type Member, peerPortOf } from './config.js';
import { type MetricsSource, type NodeMetrics, startNodeMetrics } from './metrics.js';
import { runProcessor } from './processor.js';
import { answerRead, instanceKey } from './requests.js';

export { READ_ENTRIES_MAX, instanceKey } from './requests.js';
import { type Request, Transport } from './transport.js';

/** The longest delay setTimeout honours. */
const TIMER_MS_MAX = 2 ** 31 - 1;

export const NODE_DEFAULTS = {
  channelCapacityMax: 200_000,
  /**
   * Room kept in every channel for events between this node's own processors (round
   * handovers, roles, fences, commit indexes): network input is refused before it can take it.
   */
  localReserve: 4096,
  tickMs: 20,
};

export interface NodeOptions {
  id: number;
  committee: Member[];
  /** Where instancelog<i>.log goes. */
  logDir: string;
  /** Where acceptor.log goes (default `<logDir>/data<i>`). */
  dataDir?: string;
  /** Ports to dial peers on, when they differ from the committee's peer ports (proxies). */
  dialPorts?: number[];
  /** Shared peer secret: peers must prove it (HMAC handshake); unauthenticated frames are refused. */
  secret?: Buffer;
  /**
   * TLS on the client port, the peer port and every peer link (docs/tls.md). The node's
   * certificate is also its client certificate when it dials a peer; with
   * `requireClientCert` in the files, clients and peers without a certificate of the CA are
   * refused in the TLS handshake. Reloads (SIGHUP in the CLI) apply to new connections.
   */
  tls?: TlsReloader;
  /** Answer `block` control requests (partitions for fault runs). Default false: refused. */
  allowControl?: boolean;
  core?: Partial<Omit<CoreConfig, 'id' | 'n'>>;
  fsync?: boolean;
  /** Acceptor log options besides fsync: the sync deadline (tests also inject a stuck disk). */
  acceptorLog?: Omit<AcceptorLogOptions, 'fsync'>;
  /**
   * Create a new cluster: an empty data directory becomes a voter. Without it an empty directory
   * joins by re-learning from the others (a blank node never decides it is first).
   */
  bootstrap?: boolean;
  /** Capacity of each processor channel (default NODE_DEFAULTS.channelCapacityMax). */
  channelCapacityMax?: number;
  /** Stop by itself at this wall-clock time (ms since the epoch). */
  stopAtMs?: number;
  /** Serve Prometheus /metrics at this host:port (off by default; port 0 picks one). */
  metricsAddr?: string;
  logger?: pino.Logger;
}

export interface NodeStatus {
  rank: number;
  round: number;
  leader: number;
  leading: boolean;
  commitIndex: number;
  syncs: number;
  records: number;
  /** False while the acceptor re-learns a lost or damaged state (it casts no vote). */
  voting: boolean;
  /**
   * Refused for a full channel: `net` = peer messages (peers retry), `local` = events between
   * this node's processors (should stay 0: they have a reserve; logged as errors).
   */
  overflow: { net: number; local: number };
  /** Why the node votes or not, as judged from its disk at start. */
  disk: string;
  incarnation: number;
  /** Acceptor log compactions since start. */
  compactions: number;
  /** First slot this node still holds (instance log, values log and memory are cut below it). */
  logBase: number;
  /** Why the node stopped by itself (a stalled or failing disk), if it did. */
  fatal?: string;
}

export class CspPaxosNode implements MetricsSource {
  readonly id: number;
  private readonly n: number;
  private readonly transport: Transport;
  private readonly acceptorLog: AcceptorLog;
  private readonly writers: Record<'leader' | 'consensus', InstanceLogWriter>;
  private readonly channels: Record<ProcName, Channel<Input>>;
  private readonly control: Channel<Input>;
  private stoppedFlag = false;
  private readonly loops: Promise<void>[] = [];
  private readonly clients = new Map<number, (body: Record<string, unknown>) => void>();
  private nextRef = 1;
  private readonly status: NodeStatus;
  private stopTimer: NodeJS.Timeout | undefined;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly log: pino.Logger;
  /** The processors' cores, for tests and post-mortems only (each is owned by its loop). */
  cores: { router: Router; follower: Acceptor; leader: Proposer; consensus: Learner } | undefined;

  private readonly dataDir: string;
  private readonly allowControl: boolean;
  private readonly incarnation: number;

  private constructor(opts: NodeOptions, parts: { transport: Transport; acceptorLog: AcceptorLog; writers: Record<'leader' | 'consensus', InstanceLogWriter>; channels: Record<ProcName, Channel<Input>>; control: Channel<Input>; status: NodeStatus; dataDir: string }) {
    this.id = opts.id;
    this.dataDir = parts.dataDir;
    this.allowControl = opts.allowControl ?? false;
    this.incarnation = parts.status.incarnation;
    this.n = opts.committee.length;
    this.transport = parts.transport;
    this.acceptorLog = parts.acceptorLog;
    this.writers = parts.writers;
    this.channels = parts.channels;
    this.control = parts.control;
    this.status = parts.status;
    this.log = opts.logger ?? pino({ level: 'warn' }, pino.destination(2));
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  static async start(opts: NodeOptions): Promise<CspPaxosNode> {
    const n = opts.committee.length;
    const me = opts.committee.find((m) => m.id === opts.id);
    if (!me) throw new Error(`rank ${opts.id} is not in the committee`);
    const cfg: CoreConfig = { ...CORE_DEFAULTS, ...opts.core, id: opts.id, n };
    const dataDir = opts.dataDir ?? join(opts.logDir, `data${opts.id}`);
    const identity = await readIdentity(dataDir);
    if (identity.record && identity.record.replica !== opts.id) throw new IdentityMismatch(`${dataDir} belongs to replica ${identity.record.replica}, not ${opts.id}`);
    const acceptorState: AcceptorState = { promised: -1, accepted: [] };
    const opened = AcceptorLog.open(join(dataDir, 'acceptor.log'), (r) => applyRecord(acceptorState, r), { ...opts.acceptorLog, fsync: opts.fsync ?? true });
    const acceptorLog = opened.log;
    const logPath = instanceLogPath(opts.logDir, opts.id);
    const { base: logBase, keys: logKeys } = readLogBase(logBasePath(opts.logDir, opts.id));
    const committed = recoverCommitted(logPath, logBase);
    recoverValues(valueLogPath(opts.logDir, opts.id), committed, logBase);
    const commitIndex = logBase + committed.length;
    const verdict = judgeDisk({
      identity: identity.state,
      acceptorLogExists: opened.existed,
      acceptorRecords: opened.records,
      acceptorDamaged: opened.damaged,
      recoveredMarker: acceptorState.recovered === true,
      committed: commitIndex,
      bootstrap: opts.bootstrap ?? false,
    });
    const incarnation = nextIncarnation(identity.record?.incarnation, Date.now());
    // Durable before anything is sent: the next start sees this incarnation and this verdict.
    writeIdentity(dataDir, { v: 1, replica: opts.id, incarnation, state: verdict.vote ? 'voter' : 'recovering' });
    cfg.incarnation = incarnation;
    const writers = { leader: new InstanceLogWriter(logPath), consensus: new InstanceLogWriter(logPath) };
    const cap = opts.channelCapacityMax ?? NODE_DEFAULTS.channelCapacityMax;
    const channels: Record<ProcName, Channel<Input>> = {
      router: new Channel('router', cap),
      leader: new Channel('leader', cap),
      follower: new Channel('follower', cap),
      consensus: new Channel('consensus', cap),
    };
    const control = new Channel<Input>('router-control', cap);
    const status: NodeStatus = { rank: opts.id, round: Math.max(0, acceptorState.promised), leader: 0, leading: false, commitIndex, syncs: 0, records: 0, voting: verdict.vote, disk: verdict.reason, incarnation, overflow: { net: 0, local: 0 }, compactions: 0, logBase };
    const peers = new Map(opts.committee.map((m) => [m.id, { host: m.host, port: opts.dialPorts?.[m.id] ?? peerPortOf(m) }]));
    const holder: { node?: CspPaxosNode } = {};
    const pendingNet: Msg[] = [];
    const transport = await Transport.listen({
      self: opts.id,
      host: me.host,
      port: me.port,
      peerPort: peerPortOf(me),
      n,
      secret: opts.secret,
      ...(opts.tls ? { tls: opts.tls } : {}),
      peers,
      handlers: {
        onMessages: (_from, msgs) => {
          for (const m of msgs) {
            if (holder.node) holder.node.inbound(m);
            else pendingNet.push(m);
          }
        },
        onRequest: (req, reply) => holder.node?.onRequest(req, reply),
        onPeerDown: (peer) => holder.node?.control.send({ kind: 'peerDown', node: peer }),
      },
    });
    const node = new CspPaxosNode(opts, { transport, acceptorLog, writers, channels, control, status, dataDir });
    node.logDir = opts.logDir;
    if (!opts.secret) node.log.warn({ rank: opts.id }, 'no peer secret configured: peers are not authenticated (use --secret-file)');
    if (!verdict.vote) node.log.warn({ rank: opts.id, reason: verdict.reason }, 'not voting until the acceptor state is re-learned from a majority of the other nodes');
    const nonce = randomBytes(8).toString('hex');
    let counter = 0;
    const genKey = (): string => instanceKey(`${opts.id}:${nonce}:${counter++}`);
    const now = (): number => Date.now();
    const router = new Router(cfg, acceptorState.promised, now(), !verdict.vote);
    const cores = {
      router,
      follower: new Acceptor(cfg, acceptorState, !verdict.vote),
      leader: new Proposer(cfg, genKey, commitIndex),
      consensus: new Learner(cfg, committed, logBase, logKeys),
    };
    router.start(now());
    node.cores = cores;
    node.values = new ValueLogWriter(valueLogPath(opts.logDir, opts.id));
    node.startLoops(cores, router.takeOutput());
    holder.node = node;
    for (const m of pendingNet) node.inbound(m);
    if (opts.metricsAddr !== undefined) {
      try {
        node.metrics = await startNodeMetrics(node, acceptorLog, opts.metricsAddr);
      } catch (e) {
        // A bad or taken metrics address: nothing of this node keeps running.
        await node.stop();
        throw e;
      }
    }
    if (opts.stopAtMs !== undefined) node.armStop(opts.stopAtMs);
    return node;
  }

  private metrics: NodeMetrics | undefined;

  /** host:port of the /metrics endpoint (undefined without metricsAddr). */
  get metricsAddress(): string | undefined {
    return this.metrics?.address;
  }

  /** Client proposals this node took to forward to the leader. */
  proposalsReceived = 0;

  linkStates(): ReturnType<Transport['linkStates']> {
    return this.transport.linkStates();
  }

  /** The leader core's progress (read only, like status). */
  leaderView(): { proposedUpTo: number; ackedUpTo: readonly number[] } | undefined {
    const p = this.cores?.leader;
    return p && { proposedUpTo: p.proposedUpTo, ackedUpTo: p.ackedUpTo };
  }

  /**
   * Stops the node at `atMs`. Node's timers take at most 2^31-1 ms (24.8 days) and fire at once
   * beyond it (`-t 2147484` stopped the node immediately), so a far stop re-arms in steps.
   */
  private armStop(atMs: number): void {
    const left = Math.max(0, atMs - Date.now());
    this.stopTimer = setTimeout(() => (left > TIMER_MS_MAX ? this.armStop(atMs) : void this.stop()), Math.min(left, TIMER_MS_MAX));
  }

  get port(): number {
    return this.transport.port;
  }

  get peerPort(): number {
    return this.transport.peerPort;
  }

  /** Transport counters (refused peer frames and handshakes among them). */
  transportStats(): { framesIn: number; msgsIn: number; badFrames: number; refused: number; tlsRefused: number } {
    return { ...this.transport.stats };
  }

  private startLoops(cores: Record<ProcName, Router | Acceptor | Proposer | Learner>, initial: Output): void {
    const env = {
      now: () => Date.now(),
      stopped: () => this.stoppedFlag,
      dispatch: (from: ProcName, out: Output) => this.dispatch(from, out),
    };
    void this.dispatch('router', initial);
    this.loops.push(runProcessor('router', cores.router, [this.control, this.channels.router], env, { ticks: true, tickMs: NODE_DEFAULTS.tickMs }));
    // Ticks drive the RECOVER retries of a node re-learning its state (a no-op otherwise).
    this.loops.push(runProcessor('follower', cores.follower, [this.channels.follower], env, { ticks: true, tickMs: NODE_DEFAULTS.tickMs }));
    this.loops.push(runProcessor('leader', cores.leader, [this.channels.leader], env, { ticks: true, tickMs: NODE_DEFAULTS.tickMs }));
    this.loops.push(runProcessor('consensus', cores.consensus, [this.channels.consensus], env, { ticks: true, tickMs: NODE_DEFAULTS.tickMs }));
  }

  private lastOverflowLogMs = 0;

  /** Peer input: refused (counted, logged once a second) once only the local reserve is left. */
  private inbound(m: Msg): void {
    const ch = this.channels.router;
    const room = ch.capacityMax - Math.min(NODE_DEFAULTS.localReserve, Math.floor(ch.capacityMax / 4));
    if (ch.length >= room || ch.send({ kind: 'net', msg: m }) !== 'ok') {
      this.status.overflow.net++;
      const now = Date.now();
      if (now - this.lastOverflowLogMs >= 1000) {
        this.lastOverflowLogMs = now;
        this.log.warn({ rank: this.id, refused: this.status.overflow.net }, 'router channel full: refusing peer messages (they are retried)');
      }
    }
  }

  private values!: ValueLogWriter;
  private logDir = '';

  /**
   * The learner dropped everything below `base`: record the base durably first, then cut both
   * line logs there and reopen every writer (synchronous, so no processor writes in between).
   */
  private truncateLogs(base: number, keys: KeySeen[]): boolean {
    try {
      writeLogBase(logBasePath(this.logDir, this.id), base, keys);
      truncateInstanceLog(instanceLogPath(this.logDir, this.id), base);
      truncateValueLog(valueLogPath(this.logDir, this.id), base);
      this.writers.leader.reopen();
      this.writers.consensus.reopen();
      this.values.reopen();
      this.status.logBase = base;
      this.log.info({ rank: this.id, base }, 'instance and values logs truncated');
      return true;
    } catch (e) {
      this.failStop(e, 'log truncation failed');
      return false;
    }
  }

  /** Set when the node stopped itself because its acceptor log failed or stalled. */
  failure: Error | undefined;

  /** A disk failure: remember it (status.fatal, exit 3 in the CLI), log it and stop (fail-stop). */
  private failStop(e: unknown, what: string): void {
    this.failure = e as Error;
    this.status.fatal = (e as Error).message;
    this.log.fatal({ rank: this.id, err: e }, `${what}: stopping the node`);
    void this.stop();
  }

  private async dispatch(from: ProcName, out: Output): Promise<void> {
    if (this.failure) return;
    if (out.persist.length > 0) {
      try {
        await this.acceptorLog.append(out.persist);
      } catch (e) {
        // Nothing of this turn leaves: its replies depend on records that may not be on disk.
        // The acceptor's memory is ahead of its disk now, so the node stops (fail-stop) instead
        // of voting on unproven state; a restart replays what reached the disk.
        this.failStop(e, 'acceptor log failed');
        return;
      }
      this.status.syncs = this.acceptorLog.syncCount;
      this.status.records = this.acceptorLog.recordCount;
      if (out.persist.some((r) => r.t === 'r')) {
        // The re-learned state is durable (marker included): from now on this node votes.
        writeIdentity(this.dataDir, { v: 1, replica: this.id, incarnation: this.incarnation, state: 'voter' });
        this.status.voting = true;
        this.status.disk = 'intact (re-learned from a majority of the other nodes)';
        this.log.warn({ rank: this.id }, 're-learned the acceptor state: voting again');
      }
    }
    if (out.compact !== undefined && this.cores) {
      // The follower loop waits here, so its core's state is exactly what is durable now.
      try {
        this.acceptorLog.rewrite(this.cores.follower.snapshot());
        this.status.compactions = this.acceptorLog.compactions;
        this.log.info({ rank: this.id, base: out.compact }, 'acceptor log compacted');
      } catch (e) {
        this.failStop(e, 'acceptor log compaction failed');
        return;
      }
    }
    if (out.lines.length > 0 && (from === 'leader' || from === 'consensus')) {
      this.writers[from].write(out.lines, Date.now());
      if (from === 'consensus') this.values.write(out.lines);
    }
    if (out.truncate !== undefined && !this.truncateLogs(out.truncate.base, out.truncate.keys)) return;
    for (const m of out.net) {
      m.inc = this.incarnation;
      if (m.to === this.id) this.inbound(m);
      else this.transport.send(m);
    }
    for (const { to, ev } of out.local) {
      if (ev.kind === 'role') {
        this.status.round = ev.round;
        this.status.leader = leaderOf(ev.round, this.n);
        this.status.leading = ev.lead;
        if (ev.lead) this.log.info({ round: ev.round }, 'leading');
      } else if (ev.kind === 'commitIndex') this.status.commitIndex = ev.index;
      const target = to === 'router' ? this.control : this.channels[to];
      if (target.send(ev) === 'full') {
        // Never silent: a lost handover or role change would stall the node until a timeout.
        this.status.overflow.local++;
        this.log.error({ rank: this.id, to, event: ev.kind }, 'processor channel full: an internal event was dropped');
      }
    }
    for (const r of out.replies) {
      const reply = this.clients.get(r.ref);
      if (reply) {
        this.clients.delete(r.ref);
        reply({ ok: true, slot: r.slot });
      }
    }
  }

  private onRequest(req: Request, reply: (body: Record<string, unknown>) => void): void {
    switch (req.c) {
      case 'status':
        reply({ ok: true, ...this.status });
        return;
      case 'propose': {
        if (typeof req.data !== 'string') {
          reply({ ok: false, error: 'data must be a string' });
          return;
        }
        if (!this.status.voting) {
          reply({ ok: false, code: 'RECOVERING', error: `RECOVERING: node ${this.id} is re-learning its lost acceptor state (${this.status.disk}); try another node` });
          return;
        }
        const idem = req.client !== undefined || req.seq !== undefined;
        if (idem && (typeof req.client !== 'string' || req.client.length === 0 || req.client.length > 128 || !Number.isSafeInteger(req.seq) || (req.seq as number) < 0)) {
          reply({ ok: false, code: 'BAD_REQUEST', error: 'client must be a string of 1-128 characters and seq an integer >= 0 (both or neither)' });
          return;
        }
        const ref = this.nextRef++;
        this.clients.set(ref, reply);
        this.proposalsReceived++;
        // With a client id and sequence the key is the same on every retry, on every node: the
        // learner answers a retry of a committed value and the leader does not propose it twice.
        const key = idem ? instanceKey(`client:${req.client as string}:${req.seq as number}`) : instanceKey(`${this.id}:${ref}:${Date.now()}:${req.data}`);
        if (this.control.send({ kind: 'client', key, data: req.data, ref }) !== 'ok') {
          this.clients.delete(ref);
          reply({ ok: false, error: 'node is overloaded' });
        }
        return;
      }
      case 'read':
        reply(answerRead(req, this.cores!.consensus, this.id));
        return;
      case 'debug': {
        // Post-mortem view of the cores (read only).
        const c = this.cores;
        const p = c?.leader as unknown as Record<string, any> | undefined;
        reply({
          ok: true,
          est: c?.router.estRound,
          promised: c?.follower.promised,
          acceptedLen: c?.follower.end,
          acceptorBase: c?.follower.base,
          prop: p && { round: p.round, phase: p.phase, window: (p.window as any[]).map((b) => `${b.type}${b.from}-${b.to}:${[...b.acks].join(',')}`), gathered: [...(p.gathered as Map<number, unknown>).keys()], selfPromised: p.selfPromised, sinceProgress: Date.now() - p.lastProgressMs, readFrom: p.readFrom, nextSlot: p.nextSlot, iq: p.imposeQueue.length },
          rank: this.id,
          commitIndex: c?.consensus.commitIndex,
          knownMax: c?.consensus.knownMax,
          log: { ...this.acceptorLog.pending, inflightMs: this.acceptorLog.inflightSinceMs ? Date.now() - this.acceptorLog.inflightSinceMs : 0, slowestMs: this.acceptorLog.slowestFlushMs },
          links: this.transport.linkStats(),
          inbound: this.transport.stats,
          chans: Object.fromEntries(Object.entries(this.channels).map(([k, ch]) => [k, ch.length])),
        });
        return;
      }
      case 'block': {
        if (!this.allowControl) {
          reply({ ok: false, code: 'CONTROL_DISABLED', error: `control requests are disabled on node ${this.id} (start it with --allow-control)` });
          return;
        }
        const peers = Array.isArray(req.peers) ? (req.peers as unknown[]).filter((p): p is number => Number.isInteger(p)) : [];
        this.transport.blocked = new Set(peers);
        reply({ ok: true, blocked: peers });
        return;
      }
      default:
        reply({ ok: false, error: `unknown request ${String(req.c)}` });
    }
  }

  statusSnapshot(): NodeStatus {
    return { ...this.status };
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  async stop(): Promise<void> {
    if (this.stoppedFlag) return this.done;
    this.stoppedFlag = true;
    if (this.stopTimer) clearTimeout(this.stopTimer);
    for (const ch of [...Object.values(this.channels), this.control]) ch.close();
    await Promise.allSettled(this.loops);
    await this.transport.close();
    await this.metrics?.close();
    this.writers.leader.close();
    this.writers.consensus.close();
    this.values.close();
    this.acceptorLog.close();
    this.resolveDone();
  }
}

// The I/O shell of one node: restores durable state, starts the four processors (message,
// follower, leader, consensus) as CSP loops joined by bounded channels, and wires them to TCP,
// the fsynced acceptor log and the instance log. Persist before send: the follower's records
// are fdatasynced (group commit) before its GATHER / ACK leave.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Acceptor } from '../core/acceptor.js';
import { Learner } from '../core/learner.js';
import { Proposer } from '../core/proposer.js';
import { Router } from '../core/router.js';
import { type Input, type KeySeen, type Msg, type Output, type ProcName, leaderOf } from '../core/types.js';
import { Channel } from '../csp/channel.js';
import type { AcceptorLog } from '../storage/acceptorLog.js';
import { writeIdentity } from '../storage/identity.js';
import { peerPortOf } from './config.js';
import { LineLogs } from './lineLogs.js';
import { type MetricsSource, type NodeMetrics, startNodeMetrics } from './metrics.js';
import { NODE_DEFAULTS, type NodeCores, type NodeOptions, type NodeStatus } from './nodeOptions.js';
import { runProcessor } from './processor.js';
import { answerRead, debugView, instanceKey, proposeKey } from './requests.js';
import { restoreNode } from './restore.js';
import { type Request, Transport } from './transport.js';

export { READ_ENTRIES_MAX, instanceKey } from './requests.js';
export { NODE_DEFAULTS, type NodeCores, type NodeOptions, type NodeStatus } from './nodeOptions.js';

/** The longest delay setTimeout honours. */
const TIMER_MS_MAX = 2 ** 31 - 1;

export class CspPaxosNode implements MetricsSource {
  readonly id: number;
  private readonly n: number;
  private readonly transport: Transport;
  private readonly acceptorLog: AcceptorLog;
  private readonly lineLogs: LineLogs;
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
  cores: NodeCores | undefined;

  private readonly dataDir: string;
  private readonly allowControl: boolean;
  private readonly incarnation: number;

  private constructor(opts: NodeOptions, parts: { transport: Transport; acceptorLog: AcceptorLog; lineLogs: LineLogs; channels: Record<ProcName, Channel<Input>>; control: Channel<Input>; status: NodeStatus; dataDir: string }) {
    this.id = opts.id;
    this.dataDir = parts.dataDir;
    this.allowControl = opts.allowControl ?? false;
    this.incarnation = parts.status.incarnation;
    this.n = opts.committee.length;
    this.transport = parts.transport;
    this.acceptorLog = parts.acceptorLog;
    this.lineLogs = parts.lineLogs;
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
    const { cfg, dataDir, acceptorState, acceptorLog, committed, logBase, logKeys, commitIndex, verdict, incarnation } = await restoreNode(opts);
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
    const node = new CspPaxosNode(opts, { transport, acceptorLog, lineLogs: new LineLogs(opts.logDir, opts.id), channels, control, status, dataDir });
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

  private startLoops(cores: NodeCores, initial: Output): void {
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

  /**
   * The learner dropped everything below `base`: the base goes durably to disk, then both line
   * logs are cut there (LineLogs.truncate); a failing disk stops the node.
   */
  private truncateLogs(base: number, keys: KeySeen[]): boolean {
    try {
      this.lineLogs.truncate(base, keys);
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
    if (out.lines.length > 0 && (from === 'leader' || from === 'consensus')) this.lineLogs.write(from, out.lines, Date.now());
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
        const ref = this.nextRef;
        const k = proposeKey(req, this.id, ref, Date.now());
        if ('refusal' in k) {
          reply(k.refusal);
          return;
        }
        this.nextRef++;
        this.clients.set(ref, reply);
        this.proposalsReceived++;
        if (this.control.send({ kind: 'client', key: k.key, data: req.data, ref }) !== 'ok') {
          this.clients.delete(ref);
          reply({ ok: false, error: 'node is overloaded' });
        }
        return;
      }
      case 'read':
        reply(answerRead(req, this.cores!.consensus, this.id));
        return;
      case 'debug':
        reply(debugView({ id: this.id, cores: this.cores, acceptorLog: this.acceptorLog, transport: this.transport, channels: this.channels }));
        return;
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
    this.lineLogs.close();
    this.acceptorLog.close();
    this.resolveDone();
  }
}

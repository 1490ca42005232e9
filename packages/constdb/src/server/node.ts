// The constdb node: TCP listener, keyspace, persistence (snapshot + AOF), timers and
// replication wiring. Everything protocol-level lives in src/core.
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { createSocketServer, type MetricsServer, type TlsReloader } from '@quorumkit/shared-transport';
import { NodeMetrics } from './metrics.js';
import { clientKill, configSet } from './adminHooks.js';
import { Db } from '../core/db.js';
import { unwatchAll } from '../core/multi.js';
import { encodeOpFrame, decodeOp, maxUuid } from '../core/codec.js';
import { F, frame } from './replFrames.js';
import type { ServerHooks } from '../core/context.js';
import { Connection, type ConnHost, type ConnLimits } from './connection.js';
import type { ConstdbConfig } from './config.js';
import { Aof, readAofs } from '../storage/aof.js';
import { readSnapshotFile, type SnapshotMeta } from '../storage/snapshot.js';
import { writeChunkedFileAtomic } from '../storage/chunkedFile.js';
import { encodeSnapshotAsync } from '../storage/snapshotAsync.js';
import { SeqCeiling } from '../storage/seqCeiling.js';
import { renderInfo, configGet } from './info.js';
import { Replicator } from './replication.js';
import { PubSub } from '../core/pubsub.js';
import { Blocking } from './blocking.js';
import { replicaRows, nodeRows } from './replInfo.js';

export const SNAPSHOT_FILE = 'constdb.snapshot';
export const AOF_FILE = 'constdb.aof';

export interface ConstdbNodeOptions {
  /**
   * Serve TLS on the port and dial peers over TLS with the same certificate (its mTLS client
   * certificate); with requireClientCert, clients and peers without a certificate signed by
   * the CA are refused in the handshake. One reloader: a reload (SIGHUP) covers both sides.
   */
  tls?: TlsReloader;
}

export class ConstdbNode {
  readonly db: Db;
  readonly conns = new Set<Connection>();
  readonly limits: ConnLimits;
  readonly startedMs = Date.now();
  readonly repl: Replicator;
  ownSeq = 0n;
  /** never-reused own seqs; set by load() */
  seqs: SeqCeiling;
  aof: Aof | undefined;
  /** appendfsync always: own ops framed but not yet fsynced, held back from peers */
  private unreleased: Array<[bigint, Buffer]> = [];
  private releaseScheduled = false;
  /** appendfsync always: clients whose replies wait for this turn's fdatasync */
  private fsyncWaiters = new Set<Connection>();
  private fsyncTurnScheduled = false;
  server: Server | undefined;
  port = 0;
  stats = { connectionsReceived: 0, commandsProcessed: 0, rejectedConnections: 0, protocolErrors: 0, snapshots: 0, lastSnapshotMs: 0, lastSnapshotBytes: 0, changesSinceSnapshot: 0 };
  private timers: NodeJS.Timeout[] = [];
  private snapshotting: Promise<void> | undefined;
  private readonly host: ConnHost;
  readonly hooks: ServerHooks;
  /** pub/sub subscribers of this node (messages from peers are delivered here too) */
  readonly pubsub = new PubSub();
  /** clients waiting in BLPOP/BRPOP */
  readonly blocking = new Blocking();
  private closed = false;
  /** TLS for the client port (clients and inbound replication) and every outbound link */
  readonly tls: TlsReloader | undefined;
  /** TLS handshakes refused on the port (no certificate, another CA, plaintext) */
  tlsRefused = 0;
  /** Prometheus metrics, when metrics_addr is set (see metrics.ts) */
  metrics: NodeMetrics | undefined;
  metricsServer: MetricsServer | undefined;

  constructor(readonly cfg: ConstdbConfig, readonly log: Logger, opts: ConstdbNodeOptions = {}) {
    this.tls = opts.tls;
    this.db = new Db(cfg.nodeId);
    this.limits = {
      bulkBytesMax: cfg.protoMaxBulkLen,
      multibulkArgsMax: cfg.multibulkArgsMax,
      inlineBytesMax: 64 * 1024,
      outputBytesMax: cfg.clientOutputBufferLimitBytes,
      queryBytesMax: cfg.clientQueryBufferLimitBytes,
      execPerRoundMax: Math.max(1, cfg.maxExecPerRound),
    };
    this.repl = new Replicator(this);
    this.seqs = new SeqCeiling(cfg.workDir, this.exactSeqs);
    this.hooks = {
      requirepass: cfg.requirepass,
      info: (section, now) => renderInfo(this, section, now),
      configGet: (pattern) => configGet(this, pattern),
      clientList: () => [...this.conns].map((c) => `id=${c.sess.id} addr=${c.addr} name=${c.sess.name ?? ''} qbuf=${c.inputBytes} qbuf-peak=${c.maxInputBytes} obl=${c.socket.writableLength} cmd=${c.commands}`).join('\n') + '\n',
      meet: (host, port) => this.repl.meet(host, port),
      forget: (id) => this.repl.forget(id),
      replicas: () => replicaRows(this.repl),
      nodeInfo: () => nodeRows(this.repl),
      wait: (n, t, lastWrite) => this.repl.wait(n, t, lastWrite),
      waitNow: () => this.repl.countAcked(this.ownSeq),
      multiBytesMax: cfg.multiBytesMax,
      pubsub: this.pubsub,
      block: (keys, ms, serve, timedOut, alive) => this.blocking.block(keys, ms, serve, timedOut, alive),
      publishRemote: (channel, msg) => this.repl.publish(channel, msg),
      save: () => this.snapshotFresh().catch((e: Error) => {
        this.log.error({ err: e.message }, 'SAVE failed');
        throw e;
      }),
      clientKill: (f, self) => clientKill(this, f, self),
      configSet: (pairs) => configSet(this, pairs),
      lastSave: () => Math.floor((this.stats.lastSnapshotMs || this.startedMs) / 1000),
    };
    this.host = {
      db: this.db,
      hooks: this.hooks,
      limits: this.limits,
      now: () => Date.now(),
      stats: this.stats,
      onClose: (c) => {
        this.conns.delete(c);
        unwatchAll(this.db, c.sess);
        if (c.sess.subscriber) this.pubsub.dropAll(c.sess.subscriber);
        c.sess.closed = true;
        if (this.blocking.blockedClients > 0) this.blocking.sweep();
      },
      onProtocolError: (c, err) => {
        this.stats.protocolErrors++;
        this.log.warn({ client: c.addr, err: err.message }, 'closing client connection');
      },
      takeover: (c, args) => this.repl.takeover(c, args),
      holdForFsync: (c) => this.holdForFsync(c),
    };
    this.db.onListChange = (key) => this.blocking.signal(key);
    this.db.emit = (key, delta, more) => {
      const seq = ++this.ownSeq;
      this.stats.changesSinceSnapshot++;
      this.seqs.reserve(seq, this.db.clock.current);
      if (!this.aof && !this.repl.wantsOps) return;
      // ops of one EXEC travel as a unit: peers apply them together, the AOF replays them
      // together or (a crash mid-unit) not at all
      const framed = encodeOpFrame(more ? F.OP_MORE : F.OP, seq, key, delta);
      this.aof?.append(framed.subarray(5), more);
      if (!this.exactSeqs) {
        this.repl.onOwnOp(seq, framed);
        return;
      }
      this.unreleased.push([seq, framed]);
      if (!this.releaseScheduled) {
        // ops made outside a client round (the expire cycle) are released on the next turn
        this.releaseScheduled = true;
        setImmediate(() => this.releaseOwnOps());
      }
    };
  }

  /**
   * appendonly yes + appendfsync always: an own op leaves the node (client reply, peers)
   * only after its fdatasync, so a restart recovers every op any peer can hold and seqs
   * continue without a gap (see storage/seqCeiling.ts).
   */
  get exactSeqs(): boolean {
    return this.cfg.appendonly && this.cfg.appendfsync === 'always';
  }

  /**
   * appendfsync always: a client's replies wait while ops of this turn are not durable. The
   * clients that have replies are flushed together once every read of this event-loop turn
   * ran (setImmediate runs after the poll phase), after ONE fdatasync for all of them.
   */
  private holdForFsync(c: Connection): boolean {
    if (!this.aof?.needsSyncBeforeReply) return false;
    this.fsyncWaiters.add(c);
    if (!this.fsyncTurnScheduled) {
      this.fsyncTurnScheduled = true;
      setImmediate(() => this.fsyncTurn());
    }
    return true;
  }

  private fsyncTurn(): void {
    this.fsyncTurnScheduled = false;
    this.releaseOwnOps();
    const waiters = this.fsyncWaiters;
    this.fsyncWaiters = new Set();
    // nothing is pending now, so each flush writes its replies at once
    for (const c of waiters) c.flush();
  }

  /** fdatasync the AOF (one for the whole batch), then send the held-back ops to peers. */
  releaseOwnOps(): void {
    this.releaseScheduled = false;
    if (this.aof?.fsync !== 'always') return;
    this.aof.syncNow();
    if (this.unreleased.length === 0) return;
    const ops = this.unreleased;
    this.unreleased = [];
    for (const [seq, framed] of ops) this.repl.onOwnOp(seq, framed);
  }

  get snapshotPath(): string {
    return join(this.cfg.workDir, SNAPSHOT_FILE);
  }

  get aofPath(): string {
    return join(this.cfg.workDir, AOF_FILE);
  }

  meta(): SnapshotMeta {
    return {
      nodeId: this.cfg.nodeId,
      ownSeq: this.ownSeq,
      clock: this.db.clock.current,
      applied: new Map(this.repl.applied),
      peers: this.repl.peerMetas(),
      forgotten: this.repl.members.forgotten(),
    };
  }

  /** Loads the snapshot, then replays own ops from the AOF that the snapshot does not cover. */
  async load(): Promise<void> {
    mkdirSync(this.cfg.workDir, { recursive: true });
    const snap = await readSnapshotFile(this.snapshotPath);
    if (snap) {
      if (snap.meta.nodeId !== this.cfg.nodeId) {
        this.log.warn({ file: snap.meta.nodeId, config: this.cfg.nodeId }, 'snapshot was written by another node id; loading its data as a replica would');
      }
      for (const [k, rec] of snap.keys) this.db.join(k, rec);
      if (snap.meta.nodeId === this.cfg.nodeId) {
        this.ownSeq = snap.meta.ownSeq;
        this.repl.restore(snap.meta);
      }
      this.db.clock.observe(snap.meta.clock);
      this.log.info({ keys: snap.keys.length, ownSeq: String(this.ownSeq) }, 'snapshot loaded');
    }
    await this.repl.loadPeers();
    const ops = readAofs(this.aofPath, (path, kept, size) =>
      this.log.warn({ path, kept, size }, 'AOF has a torn or corrupt tail: cut at the last intact op'));
    this.repl.backlog.reset(this.ownSeq + 1n);
    let replayed = 0;
    for (const { op: buf, more } of ops) {
      const op = decodeOp(buf);
      this.db.clock.observe(maxUuid(op.delta));
      this.db.join(op.key, op.delta);
      if (op.seq > this.ownSeq) {
        this.ownSeq = op.seq;
        replayed++;
        // the replayed tail also refills the backlog: replicas that were only a little
        // behind before the restart resume with a partial resync
        this.repl.backlog.push(op.seq, frame(more ? F.OP_MORE : F.OP, buf));
      }
    }
    if (ops.length) this.log.info({ ops: ops.length, replayed }, 'aof replayed');
    const recovered = this.ownSeq;
    this.ownSeq = this.seqs.open(recovered, this.db.clock.current);
    this.db.clock.observe(this.seqs.clockFloor);
    this.db.epoch = this.seqs.epoch;
    if (this.seqs.unreadable) this.log.warn({ err: this.seqs.unreadable }, 'seq file unreadable: numbering restarts from the time base');
    if (this.seqs.jumped) {
      // ops past `recovered` may have reached peers before this crash: new ops never reuse
      // their seqs, peers holding them are told (handshake), and the AOF tail is not served
      // as a partial resync across the gap
      this.log.info({ recovered: String(recovered), start: String(this.ownSeq)}, 'own seqs continue above the reserved ceiling');
      this.repl.backlog.reset(this.ownSeq + 1n);
    }
    if (this.cfg.appendonly) this.aof = new Aof(this.aofPath, this.cfg.appendfsync);
  }

  async listen(): Promise<number> {
    // with TLS the callback runs after the handshake (and the client-certificate check)
    const server = createSocketServer(this.tls, (socket: Socket) => {
      this.stats.connectionsReceived++;
      if (this.conns.size >= this.cfg.maxclients) {
        this.stats.rejectedConnections++;
        socket.end('-ERR max number of clients reached\r\n');
        return;
      }
      this.conns.add(new Connection(socket, this.host));
    }, {
      onTlsError: (err, remote) => {
        this.tlsRefused++;
        this.log.warn({ err: err.message, remote }, 'tls handshake refused');
      },
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.cfg.ip, port: this.cfg.port, backlog: this.cfg.tcpBacklog }, () => resolve());
    });
    server.on('error', (err) => this.log.error({ err: err.message }, 'listener error'));
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.cfg.port;
    if (this.cfg.metricsAddr) {
      this.metrics = new NodeMetrics(this);
      this.metrics.attach(this);
      try {
        this.metricsServer = await this.metrics.serve(this.cfg.metricsAddr);
      } catch (e) {
        server.close();
        throw e;
      }
      this.log.info({ address: this.metricsServer.address }, 'metrics served at /metrics');
    }
    this.startTimers();
    this.repl.start();
    return this.port;
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.max(10, Math.floor(1000 / this.cfg.hz)), () => this.db.expireCycle(Date.now(), 200));
    if (this.cfg.snapshotIntervalSec > 0) {
      every(this.cfg.snapshotIntervalSec * 1000, () => {
        if (this.stats.changesSinceSnapshot > 0) void this.snapshot().catch((e) => this.log.error({ err: (e as Error).message }, 'snapshot failed'));
      });
    }
  }

  /** A snapshot that covers everything applied before this call (not one already running). */
  async snapshotFresh(): Promise<void> {
    if (this.snapshotting) await this.snapshotting.catch(() => undefined);
    await this.snapshot();
  }

  /** Writes the snapshot atomically; then the AOF restarts (the snapshot covers it). */
  snapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    const run = async () => {
      this.aof?.rotate();
      const meta = this.meta();
      const durable = this.repl.captureDurable();
      // a consistent cut, encoded in slices so clients are served meanwhile
      const chunks = await encodeSnapshotAsync(meta, this.db);
      const bytes = { length: chunks.reduce((n, c) => n + c.length, 0) };
      const changes = this.stats.changesSinceSnapshot;
      // chunk by chunk: CRC and writes never hold the event loop for the whole file
      await writeChunkedFileAtomic(this.snapshotPath, chunks);
      this.aof?.dropOld();
      this.repl.durableU = durable;
      this.stats.snapshots++;
      this.stats.lastSnapshotMs = Date.now();
      this.stats.lastSnapshotBytes = bytes.length;
      this.stats.changesSinceSnapshot -= changes;
      this.log.debug({ bytes: bytes.length }, 'snapshot written');
    };
    this.snapshotting = run().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  async close(opts: { snapshot?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.repl.stop();
    await this.metricsServer?.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      for (const c of this.conns) c.socket.destroy();
    });
    this.releaseOwnOps();
    if (opts.snapshot !== false) {
      await this.snapshot();
      // everything up to ownSeq is durable in the snapshot: the next start needs no jump
      if (!this.exactSeqs) this.seqs.closeAt(this.ownSeq);
    }
    await this.repl.flushPeers();
    this.aof?.close();
  }
}

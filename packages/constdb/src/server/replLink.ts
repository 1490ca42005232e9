// The outbound link to one peer: dial, handshake, partial or full sync, then stream own
// ops; heartbeats; redial with jittered exponential backoff when anything goes wrong.
import type { Socket } from 'node:net';
import { connectSocket } from '@quorumkit/shared-transport';
import { F, FrameReader, frame, frameHeader } from './replFrames.js';
import { Writer } from '../core/codec.js';
import { readChunkedFileChecked } from '../storage/chunkedFile.js';
import { snapshotRecordChunks, snapshotMetaOf } from '../storage/snapshotAsync.js';
import { formatLostRanges } from '../storage/seqCeiling.js';
import type { Replicator } from './replication.js';
import type { LinkState, Peer, PeerStream } from './replPeer.js';


/** A full sync in preparation sends a KEEPALIVE frame this often (below repl_timeout's 1 s minimum). */
const KEEPALIVE_MS = 400;
export type { LinkState } from './replPeer.js';

function encodeCommand(args: string[]): Buffer {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return Buffer.from(s);
}

export function backoffMs(attempt: number, baseMs = 100, maxMs = 5000): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.floor(cap / 2 + Math.random() * (cap / 2));
}

interface SyncReply { id: number; applied: bigint; peers: string; alias: string; members: string }

function parseReply(line: string): SyncReply {
  const m = /^\+SYNC (\d+) (\d+) (\S+) (\S+)(?: (\S+))?$/.exec(line);
  if (!m) throw new Error(line.startsWith('-') ? line.slice(1) : `unexpected handshake reply ${JSON.stringify(line.slice(0, 80))}`);
  return { id: Number(m[1]), applied: BigInt(m[2]!), peers: m[3]!, alias: decodeURIComponent(m[4]!), members: m[5] ?? '-' };
}

/** Sends the handshake and resolves with the reply line and whatever bytes followed it. */
function handshake(sock: Socket, cmd: Buffer, timeoutMs: number): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('handshake timed out')), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      sock.removeListener('data', onData);
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const i = buf.indexOf('\r\n');
      if (i < 0) {
        if (buf.length > 64 * 1024) fail(new Error('handshake reply too long'));
        return;
      }
      clearTimeout(timer);
      sock.removeListener('data', onData);
      sock.removeListener('error', fail);
      sock.removeListener('close', onClose);
      resolve({ line: buf.toString('utf8', 0, i), rest: buf.subarray(i + 2) });
    };
    const onClose = () => fail(new Error('connection closed during handshake'));
    sock.on('data', onData);
    sock.once('error', fail);
    sock.once('close', onClose);
    sock.write(cmd);
  });
}

function handshakeCmd(repl: Replicator, probe: boolean): Buffer {
  const n = repl.node;
  return encodeCommand(['CONSTDB.SYNC', String(n.cfg.nodeId), n.cfg.ip, String(n.port), n.cfg.requirepass ?? '', String(n.ownSeq),
    encodeURIComponent(n.cfg.nodeAlias || '-'), formatLostRanges(n.seqs.lost), probe ? 'probe' : 'sync', repl.members.format()]);
}

export class PeerLink implements PeerStream {
  state: LinkState = 'connecting';
  private sock: Socket | undefined;
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private corked = false;
  /** the owed generation the full sync on the current connection answers */
  private servedGen = 0;
  lastError = '';

  constructor(private readonly repl: Replicator, private readonly peer: Peer) {
    this.dial();
  }

  private handshakeCmd(probe: boolean): Buffer {
    return handshakeCmd(this.repl, probe);
  }

  /** MEET's first step: who is at host:port? */
  static async probe(repl: Replicator, host: string, port: number, timeoutMs = 10_000): Promise<{ id: number; alias: string; members: string }> {
    let ready!: () => void;
    const connected = new Promise<void>((res) => (ready = res));
    const sock = connectSocket({ host, port, tls: repl.node.tls }, () => ready());
    sock.on('error', () => {});
    try {
      // over TLS the handshake is written only once the server's certificate was checked
      await Promise.race([connected, new Promise<never>((_, rej) => {
        sock.once('close', () => rej(new Error(`cannot reach ${host}:${port}`)));
        setTimeout(() => rej(new Error('connect timed out')), timeoutMs).unref();
      })]);
      const { line } = await handshake(sock, handshakeCmd(repl, true), timeoutMs);
      const r = parseReply(line);
      return { id: r.id, alias: r.alias, members: r.members };
    } finally {
      sock.destroy();
    }
  }

  private dial(): void {
    if (this.state === 'closed' || this.repl.stopped) return;
    this.state = 'connecting';
    const sock = connectSocket({ ...this.repl.dialAddr(this.peer), tls: this.repl.node.tls }, () => {
      void this.run(sock).catch((e: Error) => this.onRunFailed(sock, e));
    });
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on('error', (e) => {
      this.lastError = e.message;
    });
    sock.on('close', () => this.onClosed(sock));
  }

  private onRunFailed(sock: Socket, e: Error): void {
    this.lastError = e.message;
    const forgotten = /^FORGOTTEN (\d{1,20})/.exec(e.message);
    if (forgotten) {
      // the cluster removed this node (the FORGET's version): take that into our membership
      this.repl.log.warn({ peer: this.peer.id }, 'peer reports this node was forgotten');
      this.repl.onMembers(`${this.repl.node.cfg.nodeId}:o:${forgotten[1]}`);
      sock.destroy();
      return;
    }
    if (/WRONGPASS/.test(e.message)) this.repl.log.warn({ peer: this.peer.id }, 'replica refused our password (requirepass must be the same on every node)');
    else this.repl.log.debug({ peer: this.peer.id, err: e.message }, 'replication link failed');
    sock.destroy();
  }

  private async run(sock: Socket): Promise<void> {
    const { line, rest } = await handshake(sock, this.handshakeCmd(false), 10_000);
    const r = parseReply(line);
    if (r.id !== this.peer.id) throw new Error(`expected node ${this.peer.id} at ${this.peer.host}:${this.peer.port}, found ${r.id}`);
    if (r.alias && r.alias !== '-') this.peer.alias = r.alias;
    this.repl.onMembers(r.members);
    if (this.repl.members.isOut(this.peer.id) || this.repl.selfOut) throw new Error('membership changed during the handshake');
    const reader = new FrameReader();
    const onData = (chunk: Buffer) => {
      try {
        reader.feed(chunk, (type, payload) => {
          if (type === F.ACK) this.repl.onAck(this.peer, payload);
          else if (type === F.SNAP_DONE) this.repl.onFullSyncDurable(this.peer, this.servedGen);
          else if (type === F.REPAIR) this.repl.ae.onRepair(this.peer, payload);
        });
      } catch {
        sock.destroy();
      }
    };
    sock.on('data', onData);
    if (rest.length) onData(rest);
    this.repl.learnPeers(r.peers === '-' ? '' : r.peers);
    // A peer that now reports less than it once acknowledged has lost state (restarted
    // without a snapshot of what it had received). Replaying old ops to it could bring back
    // adds whose tombstones were already collected (stable when it had acked them), so it
    // gets a full snapshot, which carries the removals' effects instead.
    const regressed = r.applied < this.peer.ackedSeq;
    this.peer.ackedSeq = r.applied;
    this.peer.lastAckMs = Date.now();
    const repl = this.repl;
    const ops = this.peer.owed > 0 || regressed ? undefined : repl.backlog.from(r.applied + 1n);
    this.state = 'syncing';
    if (ops) {
      for (const fr of ops) sock.write(fr);
      repl.stats.partialSyncsSent++;
      this.peer.partialSyncs++;
    } else {
      await this.fullSync(sock);
    }
    if (sock.destroyed) throw new Error('closed during sync');
    // a long full sync is not silence: the ack timeout counts from here
    this.peer.lastAckMs = Date.now();
    this.state = 'online';
    this.attempt = 0;
    this.heartbeat();
  }

  /**
   * Streams our durable state: a fresh snapshot is written first and its file is what is
   * sent, so nothing a peer receives this way can be lost by our own crash later (a peer
   * that got lost ops only from us would otherwise never see them again). Then the ops the
   * snapshot does not cover, from the backlog.
   */
  private async fullSync(sock: Socket): Promise<void> {
    // Writing and reading a big snapshot on a loaded machine can take longer than the
    // receiver's repl_timeout; without a frame meanwhile it drops the link as silent, and
    // every retry starts another snapshot that takes as long (seen: 500k keys at load 20+,
    // MEET failing with 'closed before the full sync').
    const keepalive = setInterval(() => {
      if (!sock.destroyed) sock.write(frame(F.KEEPALIVE, Buffer.alloc(0)));
    }, KEEPALIVE_MS);
    try {
      await this.fullSyncStream(sock);
    } finally {
      clearInterval(keepalive);
    }
  }

  private async fullSyncStream(sock: Socket): Promise<void> {
    const repl = this.repl;
    const gen = this.peer.owed;
    // every claim we make to the peer from now on is capped at what this snapshot covers
    this.peer.ackCap ??= new Map(repl.durableU);
    await repl.node.snapshotFresh();
    // read off the loop, checked in slices, no copy
    const buf = await readChunkedFileChecked(repl.node.snapshotPath);
    if (!buf) throw new Error('no snapshot to send');
    if (sock.destroyed) throw new Error('closed before the full sync');
    const meta = snapshotMetaOf(buf, repl.node.snapshotPath);
    const seq = meta.ownSeq;
    repl.log.info({ peer: this.peer.id, seq: String(seq), bytes: buf.length, owed: gen }, 'full sync to replica');
    const begin = Buffer.allocUnsafe(16);
    begin.writeBigUInt64LE(seq, 0);
    begin.writeBigUInt64LE(meta.clock, 8);
    this.servedGen = gen;
    sock.write(frame(F.SNAP_BEGIN, begin));
    // the file's own record bytes, cut at record boundaries (walked, not decoded), a turn
    // of the event loop between chunks
    for await (const chunk of snapshotRecordChunks(buf, repl.node.snapshotPath)) {
      if (sock.destroyed) throw new Error('closed during snapshot');
      sock.write(frameHeader(F.SNAP_CHUNK, chunk.length));
      if (!sock.write(chunk)) await new Promise((res) => sock.once('drain', res));
    }
    sock.write(frame(F.SNAP_END, Buffer.alloc(0)));
    const after = repl.backlog.from(seq + 1n);
    if (!after) throw new Error('backlog overrun during full sync');
    for (const fr of after) sock.write(fr);
    repl.stats.fullSyncsSent++;
    this.peer.fullSyncs++;
  }

  sendOp(_seq: bigint, fr: Buffer): void {
    if (this.state !== 'online' || !this.sock) return;
    this.send(fr);
  }

  send(fr: Buffer): void {
    const sock = this.sock;
    if (!sock || sock.destroyed || (this.state !== 'online' && this.state !== 'syncing')) return;
    if (!this.corked) {
      // every frame of this event-loop turn (all the clients' writes read in one poll) goes
      // out in one writev: one syscall per peer per turn instead of one per op
      this.corked = true;
      sock.cork();
      setImmediate(() => {
        this.corked = false;
        sock.uncork();
      });
    }
    sock.write(fr);
    if (sock.writableLength > this.repl.node.cfg.clientOutputBufferLimitBytes) {
      this.repl.log.warn({ peer: this.peer.id }, 'replica output buffer limit reached: dropping link, it will resync');
      sock.destroy();
    }
  }

  heartbeat(): void {
    if (this.state !== 'online' || !this.sock) return;
    const timeoutMs = this.repl.node.cfg.replTimeoutSec * 1000;
    if (Date.now() - this.peer.lastAckMs > timeoutMs) {
      this.repl.log.warn({ peer: this.peer.id }, 'replica did not acknowledge in time: reconnecting');
      this.sock.destroy();
      return;
    }
    const w = new Writer(256);
    w.u64(this.repl.node.ownSeq);
    w.latin1(this.repl.peersString());
    w.latin1(this.repl.members.format());
    this.send(frame(F.PING, w.result()));
  }

  private onClosed(sock: Socket): void {
    if (sock !== this.sock) return;
    this.sock = undefined;
    // nothing more of that connection's full sync can reach the peer (it stops merging when
    // the stream closes, and does not collect tombstones while one is open)
    this.peer.ackCap = undefined;
    if (this.state === 'closed' || this.repl.stopped) return;
    this.state = 'down';
    const delay = backoffMs(this.attempt++);
    this.retry = setTimeout(() => this.dial(), delay);
    this.retry.unref();
  }

  /** The peer is reachable again (it dialled us): skip the rest of the backoff. */
  kick(): void {
    if (this.state !== 'down') return;
    clearTimeout(this.retry);
    this.attempt = 0;
    this.dial();
  }

  /** Drop the connection and redial at once (e.g. to force a full sync). */
  restart(): void {
    this.attempt = 0;
    this.sock?.destroy();
  }

  close(): void {
    this.state = 'closed';
    clearTimeout(this.retry);
    this.sock?.destroy();
  }
}

// One client connection: feeds reads to the RESP parser, runs every complete command,
// and writes all replies of one read in a single socket write (write coalescing).
// Commands that reply later (MEET, WAIT) hold back the rest of the pipeline so replies
// stay in order.
import type { Socket } from 'node:net';
import { RespParser, RespProtocolError, type RespLimits } from '../core/resp.js';
import { ReplyBuffer } from '../core/encode.js';
import { dispatch } from '../core/commands.js';
import type { CmdCtx, ServerHooks, Session } from '../core/context.js';
import type { Db } from '../core/db.js';

export interface ConnLimits extends RespLimits {
  /** commands of one client run back to back before other clients get a turn */
  execPerRoundMax: number;
  /** client output buffer: a client that lets this many reply bytes pile up is dropped */
  outputBytesMax: number;
  /** client query buffer: unprocessed input (incomplete command + commands held back) above this drops the client */
  queryBytesMax: number;
}

/** Reply bytes waiting in the socket above which reading stops until the client drains them. */
const OUTPUT_PAUSE_BYTES = 1024 * 1024;

export interface ConnHost {
  db: Db;
  hooks: ServerHooks;
  limits: ConnLimits;
  now(): number;
  stats: { commandsProcessed: number };
  onClose(c: Connection): void;
  onProtocolError(c: Connection, err: Error): void;
  /** the first command of a peer link takes the socket over (replication) */
  takeover?(c: Connection, args: Buffer[]): boolean;
  /**
   * appendfsync always: true when replies must wait for the fdatasync of ops written this
   * turn; the host then flushes this connection itself after one fdatasync for every client
   * of the turn (Redis's beforeSleep), instead of one fdatasync per client.
   */
  holdForFsync?(c: Connection): boolean;
}

let nextId = 1;

export class Connection {
  readonly sess: Session;
  readonly out = new ReplyBuffer();
  private readonly parser: RespParser;
  /** one context for all of this client's commands; `now` is read once per batch */
  private readonly ctx: CmdCtx;
  private blocked: Promise<void> | undefined;
  private backlog: Buffer[][] = [];
  /** bytes of the commands in backlog */
  private backlogBytes = 0;
  /** reading is paused while a command blocks (WAIT, SAVE) or replies wait to drain */
  private drainWait = false;
  /** the largest unprocessed input this client has held (INFO, CLIENT LIST) */
  maxInputBytes = 0;
  private closed = false;
  commands = 0;
  readonly since = Date.now();
  private detached = false;
  private notified = false;

  constructor(readonly socket: Socket, private readonly host: ConnHost) {
    this.sess = { id: nextId++, authed: !host.hooks.requirepass, lastWrite: 0n };
    // pub/sub messages are appended to this client's replies and written once per turn
    this.sess.subscriber = { out: this.out, channels: new Set(), patterns: new Set(), wake: () => this.wake() };
    this.parser = new RespParser(host.limits);
    this.ctx = { db: host.db, now: 0, out: this.out, sess: this.sess, server: host.hooks };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get addr(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Unprocessed input held for this client: an incomplete command and commands held back. */
  get inputBytes(): number {
    return this.parser.bufferedBytes + this.backlogBytes;
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.detached) return;
    let ran = 0;
    // the clock is read once for every command of this read (Redis: once per event-loop turn)
    this.ctx.now = this.host.now();
    try {
      this.parser.feed(chunk, (args) => {
        if (this.detached) return;
        if (this.blocked) {
          const copy = args.map((a) => Buffer.from(a));
          for (const a of copy) this.backlogBytes += a.length + 16;
          this.backlog.push(copy);
        } else {
          this.run(args);
          if (++ran >= this.host.limits.execPerRoundMax && !this.blocked) {
            // a long pipeline yields to other clients (max_exec_per_round); the rest waits, in order
            this.blocked = new Promise<void>((res) => setImmediate(res)).then(() => this.unblockRound());
          }
        }
      });
    } catch (e) {
      if (e instanceof RespProtocolError) {
        this.out.error(`ERR ${e.message}`);
        this.flush();
        this.host.onProtocolError(this, e);
        this.socket.end();
        this.closed = true;
        return;
      }
      throw e;
    }
    const held = this.inputBytes;
    if (held > this.maxInputBytes) this.maxInputBytes = held;
    if (held > this.host.limits.queryBytesMax) {
      // Redis's client-query-buffer-limit: this client goes, the server stays
      this.host.onProtocolError(this, new Error(`client query buffer limit reached (${held} bytes)`));
      this.out.error('ERR client query buffer limit reached');
      this.flush();
      // end, not destroy: closing with the client's unread bytes in our receive buffer sends a
      // reset, and the client can lose the error line before reading it (seen in CI). Reading
      // stops, so nothing more piles up; the socket goes for good a second later.
      this.socket.pause();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      this.close();
      return;
    }
    this.flush();
    this.updateReading();
  }

  /** Reads only while nothing blocks this client and its replies are being taken. */
  private updateReading(): void {
    if (this.closed || this.detached) return;
    const stop = this.blocked !== undefined || this.drainWait;
    if (stop && !this.socket.isPaused()) this.socket.pause();
    else if (!stop && this.socket.isPaused()) this.socket.resume();
  }

  private run(args: Buffer[]): void {
    if (this.sess.quit) return;
    this.commands++;
    this.host.stats.commandsProcessed++;
    if (this.commands === 1 && this.host.takeover) {
      let taken = false;
      try {
        taken = this.host.takeover(this, args);
      } catch (e) {
        this.host.onProtocolError(this, e as Error);
        this.socket.destroy();
        taken = true;
      }
      if (taken) {
        this.detached = true;
        return;
      }
    }
    let r: void | Promise<void>;
    try {
      r = dispatch(this.ctx, args);
    } catch (e) {
      // a bug must cost one reply, never the server
      this.host.onProtocolError(this, e as Error);
      this.out.error(`ERR internal error: ${(e as Error).message}`);
      return;
    }
    if (r) {
      this.blocked = r.then(
        () => this.unblock(),
        () => this.unblock(),
      );
    }
  }

  private takeBacklog(): Buffer[] {
    const args = this.backlog.shift()!;
    for (const a of args) this.backlogBytes -= a.length + 16;
    return args;
  }

  get isBlocked(): boolean {
    return this.blocked !== undefined;
  }

  private unblock(): void {
    this.blocked = undefined;
    this.ctx.now = this.host.now();
    while (this.backlog.length > 0 && !this.blocked) this.run(this.takeBacklog());
    this.flush();
    this.updateReading();
  }

  private unblockRound(): void {
    this.blocked = undefined;
    this.ctx.now = this.host.now();
    let ran = 0;
    while (this.backlog.length > 0 && !this.blocked) {
      this.run(this.takeBacklog());
      if (++ran >= this.host.limits.execPerRoundMax && this.backlog.length > 0 && !this.blocked) {
        this.blocked = new Promise<void>((res) => setImmediate(res)).then(() => this.unblockRound());
      }
    }
    this.flush();
    this.updateReading();
  }

  private waking = false;

  private wake(): void {
    if (this.waking || this.closed) return;
    this.waking = true;
    setImmediate(() => {
      this.waking = false;
      this.flush();
    });
  }

  /** handed to the replication layer (a peer's op stream) */
  get isDetached(): boolean {
    return this.detached;
  }

  get laddr(): string {
    return `${this.socket.localAddress}:${this.socket.localPort}`;
  }

  /** Stop handling this socket (handed to the replication layer). */
  detach(): { socket: Socket; leftover: Buffer[] } {
    this.detached = true;
    this.socket.removeAllListeners('data');
    return { socket: this.socket, leftover: [] };
  }

  flush(): void {
    if (this.closed) return;
    if (this.out.pending > 0) {
      if (this.host.holdForFsync?.(this)) return;
      this.socket.write(this.out.take());
      const pending = this.socket.writableLength;
      if (pending > this.host.limits.outputBytesMax) {
        // Redis's client-output-buffer-limit: drop a client that does not read its replies
        this.host.onProtocolError(this, new Error('client output buffer limit reached'));
        this.socket.destroy();
        this.close();
        return;
      }
      if (pending > OUTPUT_PAUSE_BYTES && !this.drainWait) {
        // stop reading requests until the client has taken its replies
        this.drainWait = true;
        this.socket.once('drain', () => {
          this.drainWait = false;
          this.updateReading();
        });
        this.updateReading();
      }
    }
    if (this.sess.quit) {
      this.socket.end();
      this.closed = true;
    }
  }

  close(): void {
    if (this.notified) return;
    this.notified = true;
    this.closed = true;
    this.host.onClose(this);
  }
}

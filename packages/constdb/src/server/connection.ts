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
}

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
  /** appendfsync always: make the batch's ops durable before its replies leave */
  beforeFlush?(): void;
}

let nextId = 1;

export class Connection {
  readonly sess: Session;
  readonly out = new ReplyBuffer();
  private readonly parser: RespParser;
  private blocked: Promise<void> | undefined;
  private backlog: Buffer[][] = [];
  private closed = false;
  commands = 0;
  readonly since = Date.now();
  private detached = false;
  private notified = false;

  constructor(readonly socket: Socket, private readonly host: ConnHost) {
    this.sess = { id: nextId++, authed: !host.hooks.requirepass, lastWrite: 0n };
    this.parser = new RespParser(host.limits);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get addr(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.detached) return;
    let ran = 0;
    try {
      this.parser.feed(chunk, (args) => {
        if (this.detached) return;
        if (this.blocked) this.backlog.push(args.map((a) => Buffer.from(a)));
        else {
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
    this.flush();
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
    const ctx: CmdCtx = { db: this.host.db, now: this.host.now(), out: this.out, sess: this.sess, server: this.host.hooks };
    let r: void | Promise<void>;
    try {
      r = dispatch(ctx, args);
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

  private unblock(): void {
    this.blocked = undefined;
    while (this.backlog.length > 0 && !this.blocked) this.run(this.backlog.shift()!);
    this.flush();
  }

  private unblockRound(): void {
    this.blocked = undefined;
    let ran = 0;
    while (this.backlog.length > 0 && !this.blocked) {
      this.run(this.backlog.shift()!);
      if (++ran >= this.host.limits.execPerRoundMax && this.backlog.length > 0 && !this.blocked) {
        this.blocked = new Promise<void>((res) => setImmediate(res)).then(() => this.unblockRound());
      }
    }
    this.flush();
  }

  /** Stop handling this socket (handed to the replication layer). */
  detach(): { socket: Socket; leftover: Buffer[] } {
    this.detached = true;
    this.socket.removeAllListeners('data');
    return { socket: this.socket, leftover: [] };
  }

  flush(): void {
    if (this.closed) return;
    if (this.out.len > 0) {
      this.host.beforeFlush?.();
      this.socket.write(this.out.take());
      const pending = this.socket.writableLength;
      if (pending > this.host.limits.outputBytesMax) {
        // Redis's client-output-buffer-limit: drop a client that does not read its replies
        this.host.onProtocolError(this, new Error('client output buffer limit reached'));
        this.socket.destroy();
        this.close();
        return;
      }
      if (pending > 1024 * 1024 && !this.socket.isPaused()) {
        // stop reading requests until the client has taken its replies
        this.socket.pause();
        this.socket.once('drain', () => this.socket.resume());
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

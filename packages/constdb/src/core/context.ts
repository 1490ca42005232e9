// What a command handler sees: the keyspace, the clock reading, the reply buffer, the
// connection's session and hooks into the server shell (INFO, CONFIG, replication).
import type { Db } from './db.js';
import type { ReplyBuffer } from './encode.js';
import type { PubSub, Subscriber } from './pubsub.js';

export interface Session {
  id: number;
  authed: boolean;
  name?: string;
  /** set by QUIT: close after the replies are written */
  quit?: boolean;
  /** uuid of this client's last write (WAIT counts replicas that acknowledged it) */
  lastWrite: bigint;
  /** MULTI: the queued commands (copied), their bytes, and whether one was refused (EXECABORT) */
  multi?: { queued: Buffer[][]; bytes: number; aborted: boolean };
  /** WATCH: watched key -> did it exist then; `watchDirty` once any of them changed */
  watched?: Map<string, boolean>;
  watchDirty?: boolean;
  /** set while EXEC runs its queue: commands that would block answer at once (WAIT) */
  inExec?: boolean;
  /** set when the connection has closed (a blocked pop of it is dropped) */
  closed?: boolean;
  /** this connection as a pub/sub subscriber (set by the server shell) */
  subscriber?: Subscriber;
}

/** Which connections CLIENT KILL closes (every given filter must match). */
export interface KillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  type?: 'normal' | 'pubsub' | 'replica' | 'master';
  /** the calling client itself is spared (default yes) */
  skipMe: boolean;
}

export interface ServerHooks {
  requirepass?: string;
  info(section: string | undefined, now: number): string;
  configGet(pattern: string): Array<[string, string]>;
  clientList(): string;
  /** SAVE / BGSAVE: write a snapshot covering everything so far; LASTSAVE: unix seconds of the last one */
  save?(): Promise<void>;
  lastSave?(): number;
  /** SHUTDOWN [NOSAVE|SAVE]: snapshot (unless NOSAVE) and exit */
  shutdown?(save: boolean): void;
  /** Replication commands; absent when the node runs without replication. */
  meet?(host: string, port: number): Promise<void>;
  forget?(nodeId: number): Promise<number>;
  replicas?(): Array<[string, string]>;
  nodeInfo?(): Array<[string, string]>;
  wait?(numReplicas: number, timeoutMs: number, lastWrite: bigint): Promise<number>;
  /** WAIT inside EXEC: the number of replicas that acknowledged the client's writes so far */
  waitNow?(lastWrite: bigint): number;
  /** BLPOP/BRPOP: hold the client until serve(now) succeeds (after a change to a key) or the timeout (0 = none) */
  block?(keys: string[], timeoutMs: number, serve: (now: number) => boolean, timedOut: () => void, alive: () => boolean): Promise<void>;
  /** pub/sub registry of this node, and PUBLISH to the other nodes of the mesh */
  pubsub?: PubSub;
  publishRemote?(channel: string, msg: Buffer): void;
  /** CLIENT KILL: closes the matching connections (after this reply when it is the caller); returns how many */
  clientKill?(filter: KillFilter, selfId: number): number;
  /** CONFIG SET: all pairs applied, or none and the error line (Redis's text) */
  configSet?(pairs: Array<[string, string]>): string | undefined;
  /** bytes of commands one MULTI may queue (default MULTI_BYTES_MAX) */
  multiBytesMax?: number;
}

export interface CmdCtx {
  db: Db;
  now: number;
  out: ReplyBuffer;
  sess: Session;
  server: ServerHooks;
}

/** A handler either replies synchronously or returns a promise that replies later (in order). */
export type Handler = (ctx: CmdCtx, args: Buffer[]) => void | Promise<void>;

export interface CommandSpec {
  name: string;
  /** Redis arity: n = exactly n (with the name), -n = at least n */
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  handler: Handler;
}

export const ERR = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  notInt: 'ERR value is not an integer or out of range',
  overflow: 'ERR increment or decrement would overflow',
  syntax: 'ERR syntax error',
  hashNotInt: 'ERR hash value is not an integer',
  noAuth: 'NOAUTH Authentication required.',
  arity: (name: string) => `ERR wrong number of arguments for '${name}' command`,
  invalidExpire: (name: string) => `ERR invalid expire time in '${name}' command`,
};

export function lower(b: Buffer): string {
  return b.toString('latin1').toLowerCase();
}

export function keyOf(b: Buffer): string {
  return b.toString('latin1');
}

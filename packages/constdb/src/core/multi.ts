// MULTI / EXEC / DISCARD / WATCH / UNWATCH with Redis's semantics. Queued commands are
// copied (the parser hands out views of the read buffer); a command refused while queuing
// (unknown, wrong arity, NOAUTH, not allowed in a transaction, queue too big) makes EXEC
// answer EXECABORT and apply nothing. EXEC runs the queue in one synchronous step, so no
// other client (and no replicated op) sees a partial transaction, and its ops leave as one
// replication unit (Db.beginUnit/endUnit) that peers apply all at once or not at all.
// WATCH: any change to a watched key (this client's, another client's, a peer's op, an
// expiry deletion) or a watched key that existed and has since expired makes EXEC answer
// a null array.
import type { CmdCtx, Session } from './context.js';
import type { Db } from './db.js';

/** Default cap on the bytes one MULTI may queue: a client cannot grow the server without bound. */
export const MULTI_BYTES_MAX = 64 * 1024 * 1024;

/** Commands that run at once even inside MULTI (Redis's list). */
export const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit']);

export const MULTI_ERR = {
  nested: 'ERR MULTI calls can not be nested',
  watchInMulti: 'ERR WATCH inside MULTI is not allowed',
  execWithout: 'ERR EXEC without MULTI',
  discardWithout: 'ERR DISCARD without MULTI',
  notAllowed: 'ERR Command not allowed inside a transaction',
  tooBig: 'ERR transaction queue limit reached (multi_bytes_max)',
  execAbort: 'EXECABORT Transaction discarded because of previous errors.',
};

/** Marks the open transaction as failed (the reply to the refused command is the caller's). */
export function flagMulti(sess: Session): void {
  if (sess.multi) sess.multi.aborted = true;
}

/** Queues one command of an open transaction (copying it), or refuses it when over the cap. */
export function queueCommand(ctx: CmdCtx, args: Buffer[]): void {
  const m = ctx.sess.multi!;
  let bytes = 0;
  for (const a of args) bytes += a.length + 16;
  if (m.bytes + bytes > (ctx.server.multiBytesMax ?? MULTI_BYTES_MAX)) {
    m.aborted = true;
    return ctx.out.error(MULTI_ERR.tooBig);
  }
  m.bytes += bytes;
  m.queued.push(args.map((a) => Buffer.from(a)));
  ctx.out.simple('QUEUED');
}

export function cmdMulti(ctx: CmdCtx): void {
  if (ctx.sess.multi) return ctx.out.error(MULTI_ERR.nested);
  ctx.sess.multi = { queued: [], bytes: 0, aborted: false };
  ctx.out.ok();
}

export function cmdDiscard(ctx: CmdCtx): void {
  if (!ctx.sess.multi) return ctx.out.error(MULTI_ERR.discardWithout);
  ctx.sess.multi = undefined;
  unwatchAll(ctx.db, ctx.sess);
  ctx.out.ok();
}

export function cmdWatch(ctx: CmdCtx, args: Buffer[]): void {
  if (ctx.sess.multi) return ctx.out.error(MULTI_ERR.watchInMulti);
  if (!ctx.sess.watched) ctx.sess.watched = new Map();
  for (let i = 1; i < args.length; i++) {
    const key = args[i]!.toString('latin1');
    if (ctx.sess.watched.has(key)) continue;
    ctx.sess.watched.set(key, ctx.db.lookup(key, ctx.now) !== undefined);
    ctx.db.watch(key, ctx.sess);
  }
  ctx.out.ok();
}

export function cmdUnwatch(ctx: CmdCtx): void {
  unwatchAll(ctx.db, ctx.sess);
  ctx.out.ok();
}

export function unwatchAll(db: Db, sess: Session): void {
  if (sess.watched) for (const key of sess.watched.keys()) db.unwatch(key, sess);
  sess.watched = undefined;
  sess.watchDirty = false;
}

/** Has a watched key changed, or expired since WATCH saw it? */
function watchFailed(ctx: CmdCtx): boolean {
  if (ctx.sess.watchDirty) return true;
  if (ctx.sess.watched) {
    for (const [key, existed] of ctx.sess.watched) if (existed && ctx.db.lookup(key, ctx.now) === undefined) return true;
  }
  return false;
}

/** EXEC: `run` dispatches one queued command (the command table lives in commands.ts). */
export function cmdExec(ctx: CmdCtx, run: (ctx: CmdCtx, args: Buffer[]) => void | Promise<void>): void {
  const m = ctx.sess.multi;
  if (!m) return ctx.out.error(MULTI_ERR.execWithout);
  ctx.sess.multi = undefined;
  const failed = watchFailed(ctx);
  unwatchAll(ctx.db, ctx.sess);
  if (m.aborted) return ctx.out.error(MULTI_ERR.execAbort);
  if (failed) return ctx.out.nilArray();
  ctx.out.arr(m.queued.length);
  ctx.sess.inExec = true;
  ctx.db.beginUnit();
  try {
    for (const args of m.queued) {
      const r = run(ctx, args);
      // commands that reply later are refused at queue time (flag no-multi); a promise here
      // would put its reply out of order, so it is a bug, reported as that command's reply
      if (r) throw new Error(`${args[0]!.toString('latin1')} replied asynchronously inside EXEC`);
    }
  } finally {
    ctx.sess.inExec = false;
    ctx.db.endUnit();
  }
}

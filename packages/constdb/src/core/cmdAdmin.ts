// Connection and server commands (PING ECHO QUIT SELECT AUTH HELLO INFO CONFIG CLIENT
// COMMAND) and the replication commands (MEET FORGET REPLICAS NODE WAIT), which call hooks
// of the server shell.
import { type CmdCtx, type CommandSpec, ERR, lower } from './context.js';
import { parseI64 } from './scalar.js';
import { cmdClientKill, cmdConfigSet } from './cmdClientConfig.js';

export const VERSION = '7.0.0-constdb';

export function cmdPing(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length > 2) return ctx.out.error(ERR.arity('ping'));
  if (args.length === 2) ctx.out.bulk(args[1]!);
  else ctx.out.simple('PONG');
}

export function cmdEcho(ctx: CmdCtx, args: Buffer[]): void {
  ctx.out.bulk(args[1]!);
}

export function cmdQuit(ctx: CmdCtx): void {
  ctx.sess.quit = true;
  ctx.out.ok();
}

export function cmdSelect(ctx: CmdCtx, args: Buffer[]): void {
  const n = parseI64(args[1]!);
  if (n === undefined) return ctx.out.error(ERR.notInt);
  if (n !== 0n) return ctx.out.error('ERR DB index is out of range');
  ctx.out.ok();
}

function checkAuth(ctx: CmdCtx, user: string, pass: string): boolean {
  if (!ctx.server.requirepass) {
    ctx.out.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    return false;
  }
  if (user !== 'default' || pass !== ctx.server.requirepass) {
    ctx.out.error('WRONGPASS invalid username-password pair or user is disabled.');
    return false;
  }
  ctx.sess.authed = true;
  return true;
}

export function cmdAuth(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length > 3) return ctx.out.error(ERR.syntax);
  const user = args.length === 3 ? args[1]!.toString() : 'default';
  if (checkAuth(ctx, user, args[args.length - 1]!.toString())) ctx.out.ok();
}

export function cmdHello(ctx: CmdCtx, args: Buffer[]): void {
  let proto = ctx.out.proto;
  if (args.length >= 2) {
    const v = parseI64(args[1]!);
    if (v === undefined) return ctx.out.error('ERR Protocol version is not an integer or out of range');
    if (v !== 2n && v !== 3n) return ctx.out.error('NOPROTO unsupported protocol version');
    proto = Number(v);
  }
  let name: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const o = lower(args[i]!);
    if (o === 'auth' && i + 2 < args.length) {
      if (!checkAuth(ctx, args[i + 1]!.toString(), args[i + 2]!.toString())) return;
      i += 2;
    } else if (o === 'setname' && i + 1 < args.length) {
      name = args[++i]!.toString();
    } else return ctx.out.error(`ERR Syntax error in HELLO option '${args[i]!.toString()}'`);
  }
  if (ctx.server.requirepass && !ctx.sess.authed) {
    return ctx.out.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  }
  if (name !== undefined) ctx.sess.name = name;
  ctx.out.proto = proto;
  const o = ctx.out;
  o.map(7);
  o.bulk('server'); o.bulk('redis');
  o.bulk('version'); o.bulk(VERSION);
  o.bulk('proto'); o.int(proto);
  o.bulk('id'); o.int(ctx.sess.id);
  o.bulk('mode'); o.bulk('standalone');
  o.bulk('role'); o.bulk('master');
  o.bulk('modules'); o.arr(0);
}

export function cmdInfo(ctx: CmdCtx, args: Buffer[]): void {
  ctx.out.verbatim(ctx.server.info(args[1] ? lower(args[1]) : undefined, ctx.now));
}

export function cmdConfig(ctx: CmdCtx, args: Buffer[]): void {
  const sub = lower(args[1]!);
  if (sub === 'get') {
    if (args.length < 3) return ctx.out.error(`ERR wrong number of arguments for 'config|get' command`);
    const pairs = new Map<string, string>();
    for (let i = 2; i < args.length; i++) for (const [k, v] of ctx.server.configGet(lower(args[i]!))) pairs.set(k, v);
    ctx.out.map(pairs.size);
    for (const [k, v] of pairs) {
      ctx.out.bulk(k);
      ctx.out.bulk(v);
    }
    return;
  }
  if (sub === 'resetstat') return ctx.out.ok();
  if (sub === 'set') return cmdConfigSet(ctx, args);
  ctx.out.error(`ERR unknown subcommand '${args[1]!.toString()}'. Try CONFIG HELP.`);
}

export function cmdClient(ctx: CmdCtx, args: Buffer[]): void {
  const sub = lower(args[1]!);
  if (sub === 'setname' && args.length === 3) {
    const name = args[2]!.toString('latin1');
    if (/[^\x21-\x7e]/.test(name)) return ctx.out.error('ERR Client names cannot contain spaces, newlines or special characters.');
    ctx.sess.name = name;
    return ctx.out.ok();
  }
  if (sub === 'getname' && args.length === 2) return ctx.sess.name ? ctx.out.bulk(ctx.sess.name) : ctx.out.nil();
  if (sub === 'setinfo' && args.length === 4) {
    const attr = lower(args[2]!);
    if (attr !== 'lib-name' && attr !== 'lib-ver') return ctx.out.error(`ERR Unrecognized option '${args[2]!.toString()}'`);
    return ctx.out.ok();
  }
  if (sub === 'id' && args.length === 2) return ctx.out.int(ctx.sess.id);
  if (sub === 'list') return ctx.out.verbatim(ctx.server.clientList());
  if (sub === 'kill') {
    if (args.length < 3) return ctx.out.error(`ERR wrong number of arguments for 'client|kill' command`);
    return cmdClientKill(ctx, args);
  }
  if (sub === 'info' && args.length === 2) return ctx.out.verbatim(`id=${ctx.sess.id} name=${ctx.sess.name ?? ''}\n`);
  if (['setname', 'getname', 'setinfo', 'id', 'info'].includes(sub)) {
    return ctx.out.error(`ERR wrong number of arguments for 'client|${sub}' command`);
  }
  ctx.out.error(`ERR unknown subcommand '${args[1]!.toString()}'. Try CLIENT HELP.`);
}

function commandInfo(ctx: CmdCtx, s: CommandSpec): void {
  const o = ctx.out;
  o.arr(10);
  o.bulk(s.name);
  o.int(s.arity);
  o.set(s.flags.length);
  for (const f of s.flags) o.simple(f);
  o.int(s.firstKey);
  o.int(s.lastKey);
  o.int(s.step);
  o.set(0);
  o.set(0);
  o.arr(0);
  o.arr(0);
}

export function cmdCommand(ctx: CmdCtx, args: Buffer[], table: ReadonlyMap<string, CommandSpec>): void {
  const sub = args[1] ? lower(args[1]) : '';
  if (sub === '') {
    ctx.out.arr(table.size);
    for (const s of table.values()) commandInfo(ctx, s);
  } else if (sub === 'count') ctx.out.int(table.size);
  else if (sub === 'docs') {
    // no per-command docs: an empty map tells redis-cli to fall back to its built-in hints
    ctx.out.map(0);
  } else if (sub === 'info') {
    ctx.out.arr(args.length - 2);
    for (let i = 2; i < args.length; i++) {
      const s = table.get(lower(args[i]!));
      if (s) commandInfo(ctx, s);
      else ctx.out.nilArray();
    }
  } else if (sub === 'list') {
    ctx.out.arr(table.size);
    for (const s of table.keys()) ctx.out.bulk(s);
  } else ctx.out.error(`ERR unknown subcommand '${args[1]!.toString()}'. Try COMMAND HELP.`);
}

function errText(e: unknown): string {
  const msg = (e as Error).message;
  return /^[A-Z]+ /.test(msg) ? msg : `ERR ${msg}`;
}

export async function cmdMeet(ctx: CmdCtx, args: Buffer[]): Promise<void> {
  const m = /^(.+):(\d{1,5})$/.exec(args[1]!.toString());
  if (!m) return ctx.out.error('ERR invalid address, expected host:port');
  if (!ctx.server.meet) return ctx.out.error('ERR replication is not enabled');
  try {
    await ctx.server.meet(m[1]!, Number(m[2]));
    ctx.out.int(1);
  } catch (e) {
    ctx.out.error(errText(e));
  }
}

export async function cmdForget(ctx: CmdCtx, args: Buffer[]): Promise<void> {
  const id = parseI64(args[1]!);
  if (id === undefined) return ctx.out.error(ERR.notInt);
  if (!ctx.server.forget) return ctx.out.error('ERR replication is not enabled');
  try {
    ctx.out.int(await ctx.server.forget(Number(id)));
  } catch (e) {
    ctx.out.error(errText(e));
  }
}

function pairs(ctx: CmdCtx, rows: Array<[string, string]>): void {
  ctx.out.arr(rows.length);
  for (const [a, b] of rows) {
    ctx.out.arr(2);
    ctx.out.bulk(a);
    ctx.out.bulk(b);
  }
}

export function cmdReplicas(ctx: CmdCtx): void {
  pairs(ctx, ctx.server.replicas?.() ?? []);
}

export function cmdNode(ctx: CmdCtx): void {
  const rows = ctx.server.nodeInfo?.() ?? [];
  ctx.out.map(rows.length);
  for (const [a, b] of rows) {
    ctx.out.bulk(a);
    ctx.out.bulk(b);
  }
}

export function cmdWait(ctx: CmdCtx, args: Buffer[]): void | Promise<void> {
  const n = parseI64(args[1]!);
  const t = parseI64(args[2]!);
  if (n === undefined || t === undefined) return ctx.out.error(ERR.notInt);
  if (t < 0n) return ctx.out.error('ERR timeout is negative');
  // inside EXEC nothing may block (as in Redis): answer with the count reached so far
  if (ctx.sess.inExec) return ctx.out.int(ctx.server.waitNow?.(ctx.sess.lastWrite) ?? 0);
  if (!ctx.server.wait) return ctx.out.int(0);
  const out = ctx.out;
  return ctx.server.wait(Number(n), Number(t), ctx.sess.lastWrite).then((k) => out.int(k));
}

export function cmdSave(ctx: CmdCtx): void | Promise<void> {
  const save = ctx.server.save;
  if (!save) return ctx.out.error('ERR persistence is not enabled');
  return save().then(
    () => ctx.out.simple('OK'),
    (e: unknown) => ctx.out.error(errText(e)),
  );
}

export function cmdBgsave(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length > 2 || (args[1] && lower(args[1]) !== 'schedule')) return ctx.out.error(ERR.syntax);
  const save = ctx.server.save;
  if (!save) return ctx.out.error('ERR persistence is not enabled');
  // failures are logged by the server; LASTSAVE does not move then (as in Redis)
  void save().catch(() => undefined);
  ctx.out.simple('Background saving started');
}

export function cmdLastsave(ctx: CmdCtx): void {
  ctx.out.int(ctx.server.lastSave?.() ?? 0);
}

export function cmdShutdown(ctx: CmdCtx, args: Buffer[]): void {
  const opt = args[1] ? lower(args[1]) : 'save';
  if (args.length > 2 || !['save', 'nosave'].includes(opt)) return ctx.out.error(ERR.syntax);
  if (!ctx.server.shutdown) return ctx.out.error('ERR Errors trying to SHUTDOWN. Check logs.');
  // like Redis: no reply, the connection closes as the server exits
  ctx.sess.quit = true;
  ctx.server.shutdown(opt === 'save');
}

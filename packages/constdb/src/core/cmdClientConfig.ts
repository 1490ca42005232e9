// CLIENT KILL and CONFIG SET (issue 22): argument checks with redis-server 7.0's replies
// here; the server shell (server/clientKill.ts, server/configSet.ts) does the work.
import { type CmdCtx, type KillFilter, lower } from './context.js';
import { parseI64 } from './scalar.js';

const TYPES: Record<string, KillFilter['type']> = { normal: 'normal', pubsub: 'pubsub', replica: 'replica', slave: 'replica', master: 'master' };

export function cmdClientKill(ctx: CmdCtx, args: Buffer[]): void {
  const kill = ctx.server.clientKill;
  if (!kill) return ctx.out.error('ERR CLIENT KILL is not available here');
  if (args.length === 3) {
    // the old form: CLIENT KILL addr
    const n = kill({ addr: args[2]!.toString('latin1'), skipMe: false }, ctx.sess.id);
    return n > 0 ? ctx.out.ok() : ctx.out.error('ERR No such client');
  }
  const f: KillFilter = { skipMe: true };
  for (let i = 2; i < args.length; i += 2) {
    if (i + 1 >= args.length) return ctx.out.error('ERR syntax error');
    const opt = lower(args[i]!);
    const v = args[i + 1]!.toString('latin1');
    if (opt === 'id') {
      const n = parseI64(v);
      if (n === undefined || n < 1n) return ctx.out.error('ERR client-id should be greater than 0');
      f.id = Number(n);
    } else if (opt === 'addr') f.addr = v;
    else if (opt === 'laddr') f.laddr = v;
    else if (opt === 'type') {
      const t = TYPES[v.toLowerCase()];
      if (!t) return ctx.out.error(`ERR Unknown client type '${v}'`);
      f.type = t;
    } else if (opt === 'user') {
      // one user (no ACLs): "default"
      if (v !== 'default') return ctx.out.error(`ERR No such user '${v}'`);
    } else if (opt === 'skipme') {
      const s = v.toLowerCase();
      if (s !== 'yes' && s !== 'no') return ctx.out.error('ERR syntax error');
      f.skipMe = s === 'yes';
    } else return ctx.out.error('ERR syntax error');
  }
  ctx.out.int(kill(f, ctx.sess.id));
}

export function cmdConfigSet(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length < 4) return ctx.out.error(`ERR wrong number of arguments for 'config|set' command`);
  if (args.length % 2 !== 0) return ctx.out.error('ERR syntax error');
  const set = ctx.server.configSet;
  if (!set) return ctx.out.error('ERR CONFIG SET is not available here');
  const pairs: Array<[string, string]> = [];
  for (let i = 2; i < args.length; i += 2) pairs.push([lower(args[i]!), args[i + 1]!.toString('latin1')]);
  const err = set(pairs);
  return err ? ctx.out.error(err) : ctx.out.ok();
}

// The command table (names, Redis arities, key positions) and dispatch: arity checks,
// AUTH gating and unknown-command errors with Redis's exact texts.
import { type CmdCtx, type CommandSpec, type Handler, ERR } from './context.js';
import * as S from './cmdStrings.js';
import * as C from './cmdCollections.js';
import * as K from './cmdKeys.js';
import * as A from './cmdAdmin.js';
import * as M from './multi.js';
import * as X from './cmdMore.js';
import * as G from './cmdSetAlgebra.js';
import * as R from './cmdRename.js';
import * as L from './cmdList.js';
import * as Z from './cmdZset.js';
import * as ZR from './cmdZrange.js';
import * as ZA from './cmdZalgebra.js';
import * as P from './pubsub.js';
import * as FL from './cmdFloat.js';
import * as CS from './cmdCollScan.js';
import * as B from './cmdBlocking.js';
import * as O from './cmdObject.js';
import { CommandIndex } from './cmdLookup.js';

const table = new Map<string, CommandSpec>();
/** dispatch's lookup by the name's bytes (no lower-cased string per command) */
const index = new CommandIndex();

function def(name: string, arity: number, flags: string, keys: [number, number, number], handler: Handler): void {
  const spec: CommandSpec = { name, arity, flags: flags ? flags.split(' ') : [], firstKey: keys[0], lastKey: keys[1], step: keys[2], handler };
  table.set(name, spec);
  index.add(spec);
}

const K1: [number, number, number] = [1, 1, 1];
const K0: [number, number, number] = [0, 0, 0];
const KALL: [number, number, number] = [1, -1, 1];

def('get', 2, 'readonly fast', K1, S.cmdGet);
def('set', -3, 'write denyoom', K1, S.cmdSet);
def('mget', -2, 'readonly fast', KALL, S.cmdMget);
def('mset', -3, 'write denyoom', [1, -1, 2], S.cmdMset);
def('incr', 2, 'write denyoom fast', K1, S.cmdIncr);
def('decr', 2, 'write denyoom fast', K1, S.cmdDecr);
def('incrby', 3, 'write denyoom fast', K1, S.cmdIncrby);
def('decrby', 3, 'write denyoom fast', K1, S.cmdDecrby);
def('sadd', -3, 'write denyoom fast', K1, C.cmdSadd);
def('srem', -3, 'write fast', K1, C.cmdSrem);
def('spop', -2, 'write fast', K1, C.cmdSpop);
def('smembers', 2, 'readonly', K1, C.cmdSmembers);
def('scard', 2, 'readonly fast', K1, C.cmdScard);
def('sismember', 3, 'readonly fast', K1, C.cmdSismember);
def('hset', -4, 'write denyoom fast', K1, C.cmdHset);
def('hmset', -4, 'write denyoom fast', K1, C.cmdHset);
def('hget', 3, 'readonly fast', K1, C.cmdHget);
def('hgetall', 2, 'readonly', K1, (c, a) => C.cmdHgetall(c, a, 'all'));
def('hkeys', 2, 'readonly', K1, (c, a) => C.cmdHgetall(c, a, 'keys'));
def('hvals', 2, 'readonly', K1, (c, a) => C.cmdHgetall(c, a, 'vals'));
def('hlen', 2, 'readonly fast', K1, (c, a) => C.cmdHgetall(c, a, 'len'));
def('hdel', -3, 'write fast', K1, C.cmdHdel);
def('hexists', 3, 'readonly fast', K1, C.cmdHexists);
def('hincrby', 4, 'write denyoom fast', K1, C.cmdHincrby);
def('del', -2, 'write', KALL, K.cmdDel);
def('exists', -2, 'readonly fast', KALL, K.cmdExists);
def('type', 2, 'readonly fast', K1, K.cmdType);
def('keys', 2, 'readonly', K0, K.cmdKeys);
def('scan', -2, 'readonly', K0, K.cmdScan);
def('dbsize', 1, 'readonly fast', K0, K.cmdDbsize);
def('flushall', -1, 'write', K0, K.cmdFlushall);
def('flushdb', -1, 'write', K0, K.cmdFlushall);
def('expire', -3, 'write fast', K1, K.cmdExpire);
def('pexpire', -3, 'write fast', K1, K.cmdPexpire);
def('ttl', 2, 'readonly fast', K1, K.cmdTtl);
def('pttl', 2, 'readonly fast', K1, K.cmdPttl);
def('persist', 2, 'write fast', K1, K.cmdPersist);
def('setnx', 3, 'write denyoom fast', K1, X.cmdSetnx);
def('setex', 4, 'write denyoom', K1, (c, a) => X.cmdSetex(c, a, 1000, 'setex'));
def('psetex', 4, 'write denyoom', K1, (c, a) => X.cmdSetex(c, a, 1, 'psetex'));
def('getset', 3, 'write denyoom fast', K1, X.cmdGetset);
def('getdel', 2, 'write fast', K1, X.cmdGetdel);
def('append', 3, 'write denyoom fast', K1, X.cmdAppend);
def('strlen', 2, 'readonly fast', K1, X.cmdStrlen);
def('getrange', 4, 'readonly', K1, X.cmdGetrange);
def('substr', 4, 'readonly', K1, X.cmdGetrange);
def('msetnx', -3, 'write denyoom', [1, -1, 2], X.cmdMsetnx);
def('hmget', -3, 'readonly fast', K1, X.cmdHmget);
def('hsetnx', 4, 'write denyoom fast', K1, X.cmdHsetnx);
def('hstrlen', 3, 'readonly fast', K1, X.cmdHstrlen);
def('smismember', -3, 'readonly fast', K1, X.cmdSmismember);
def('sinter', -2, 'readonly', KALL, (c, a) => G.cmdSetAlgebra(c, a, 'inter'));
def('sunion', -2, 'readonly', KALL, (c, a) => G.cmdSetAlgebra(c, a, 'union'));
def('sdiff', -2, 'readonly', KALL, (c, a) => G.cmdSetAlgebra(c, a, 'diff'));
def('sinterstore', -3, 'write denyoom', KALL, (c, a) => G.cmdSetAlgebraStore(c, a, 'inter'));
def('sunionstore', -3, 'write denyoom', KALL, (c, a) => G.cmdSetAlgebraStore(c, a, 'union'));
def('sdiffstore', -3, 'write denyoom', KALL, (c, a) => G.cmdSetAlgebraStore(c, a, 'diff'));
def('smove', 4, 'write fast', [1, 2, 1], G.cmdSmove);
def('rename', 3, 'write', [1, 2, 1], (c, a) => R.cmdRename(c, a, false));
def('renamenx', 3, 'write fast', [1, 2, 1], (c, a) => R.cmdRename(c, a, true));
def('copy', -3, 'write denyoom', [1, 2, 1], R.cmdCopy);
def('unlink', -2, 'write fast', KALL, K.cmdDel);
def('expireat', -3, 'write fast', K1, K.cmdExpireat);
def('pexpireat', -3, 'write fast', K1, K.cmdPexpireat);
def('expiretime', 2, 'readonly fast', K1, (c, a) => K.cmdExpiretime(c, a, 1000));
def('pexpiretime', 2, 'readonly fast', K1, (c, a) => K.cmdExpiretime(c, a, 1));
def('touch', -2, 'readonly fast', KALL, K.cmdTouch);
def('lpush', -3, 'write denyoom fast', K1, (c, a) => L.cmdPush(c, a, true, false));
def('rpush', -3, 'write denyoom fast', K1, (c, a) => L.cmdPush(c, a, false, false));
def('lpushx', -3, 'write denyoom fast', K1, (c, a) => L.cmdPush(c, a, true, true));
def('rpushx', -3, 'write denyoom fast', K1, (c, a) => L.cmdPush(c, a, false, true));
def('lpop', -2, 'write fast', K1, (c, a) => L.cmdPop(c, a, true));
def('rpop', -2, 'write fast', K1, (c, a) => L.cmdPop(c, a, false));
def('llen', 2, 'readonly fast', K1, L.cmdLlen);
def('lrange', 4, 'readonly', K1, L.cmdLrange);
def('lindex', 3, 'readonly', K1, L.cmdLindex);
def('lset', 4, 'write denyoom', K1, L.cmdLset);
def('lrem', 4, 'write', K1, L.cmdLrem);
def('ltrim', 4, 'write', K1, L.cmdLtrim);
def('linsert', 5, 'write denyoom', K1, L.cmdLinsert);
def('lpos', -3, 'readonly', K1, L.cmdLpos);
def('lmove', 5, 'write denyoom', [1, 2, 1], (c, a) => L.cmdLmove(c, a));
def('rpoplpush', 3, 'write denyoom', [1, 2, 1], (c, a) => L.cmdLmove(c, a, false, true));
def('zadd', -4, 'write denyoom fast', K1, (c, a) => Z.cmdZadd(c, a));
def('zincrby', 4, 'write denyoom fast', K1, (c, a) => Z.cmdZadd(c, a, true));
def('zrem', -3, 'write fast', K1, Z.cmdZrem);
def('zpopmin', -2, 'write fast', K1, (c, a) => Z.cmdZpop(c, a, false));
def('zpopmax', -2, 'write fast', K1, (c, a) => Z.cmdZpop(c, a, true));
def('zscore', 3, 'readonly fast', K1, Z.cmdZscore);
def('zmscore', -3, 'readonly fast', K1, Z.cmdZmscore);
def('zcard', 2, 'readonly fast', K1, Z.cmdZcard);
def('zrank', 3, 'readonly fast', K1, (c, a) => Z.cmdZrank(c, a, false));
def('zrevrank', 3, 'readonly fast', K1, (c, a) => Z.cmdZrank(c, a, true));
def('zrange', -4, 'readonly', K1, (c, a) => ZR.cmdZrange(c, a));
def('zrangebyscore', -4, 'readonly', K1, (c, a) => ZR.cmdZrange(c, a, { by: 'score', rev: false }));
def('zrevrangebyscore', -4, 'readonly', K1, (c, a) => ZR.cmdZrange(c, a, { by: 'score', rev: true }));
def('zrevrange', -4, 'readonly', K1, (c, a) => ZR.cmdZrange(c, a, { by: 'rank', rev: true }));
def('zrangebylex', -4, 'readonly', K1, (c, a) => ZR.cmdZrange(c, a, { by: 'lex', rev: false }));
def('zrevrangebylex', -4, 'readonly', K1, (c, a) => ZR.cmdZrange(c, a, { by: 'lex', rev: true }));
def('zcount', 4, 'readonly fast', K1, (c, a) => ZR.cmdZcount(c, a, false));
def('zlexcount', 4, 'readonly fast', K1, (c, a) => ZR.cmdZcount(c, a, true));
def('zrangestore', -5, 'write denyoom', [1, 2, 1], ZR.cmdZrangestore);
def('zunionstore', -4, 'write denyoom movablekeys', K1, (c, a) => ZA.cmdZalgebra(c, a, 'union', true));
def('zinterstore', -4, 'write denyoom movablekeys', K1, (c, a) => ZA.cmdZalgebra(c, a, 'inter', true));
def('zdiffstore', -4, 'write denyoom movablekeys', K1, (c, a) => ZA.cmdZalgebra(c, a, 'diff', true));
def('zunion', -3, 'readonly movablekeys', K0, (c, a) => ZA.cmdZalgebra(c, a, 'union', false));
def('zinter', -3, 'readonly movablekeys', K0, (c, a) => ZA.cmdZalgebra(c, a, 'inter', false));
def('zdiff', -3, 'readonly movablekeys', K0, (c, a) => ZA.cmdZalgebra(c, a, 'diff', false));
def('subscribe', -2, 'pubsub noscript loading stale', K0, (c, a) => P.cmdSubscribe(c, a, false));
def('psubscribe', -2, 'pubsub noscript loading stale', K0, (c, a) => P.cmdSubscribe(c, a, true));
def('unsubscribe', -1, 'pubsub noscript loading stale', K0, (c, a) => P.cmdUnsubscribe(c, a, false));
def('punsubscribe', -1, 'pubsub noscript loading stale', K0, (c, a) => P.cmdUnsubscribe(c, a, true));
def('publish', 3, 'pubsub loading stale fast', K0, P.cmdPublish);
def('pubsub', -2, 'pubsub loading stale', K0, P.cmdPubsub);
def('incrbyfloat', 3, 'write denyoom fast', K1, FL.cmdIncrbyfloat);
def('hincrbyfloat', 4, 'write denyoom fast', K1, FL.cmdHincrbyfloat);
def('setrange', 4, 'write denyoom', K1, FL.cmdSetrange);
def('sscan', -3, 'readonly', K1, (c, a) => CS.cmdCollScan(c, a, 'set'));
def('hscan', -3, 'readonly', K1, (c, a) => CS.cmdCollScan(c, a, 'hash'));
def('zscan', -3, 'readonly', K1, (c, a) => CS.cmdCollScan(c, a, 'zset'));
def('srandmember', -2, 'readonly', K1, CS.cmdSrandmember);
def('hrandfield', -2, 'readonly', K1, CS.cmdHrandfield);
def('randomkey', 1, 'readonly', K0, (c) => CS.cmdRandomkey(c));
def('blpop', -3, 'write noscript', [1, -2, 1], (c, a) => B.cmdBpop(c, a, true));
def('brpop', -3, 'write noscript', [1, -2, 1], (c, a) => B.cmdBpop(c, a, false));
def('blmove', 6, 'write denyoom noscript', [1, 2, 1], (c, a) => B.cmdBlmove(c, a, false));
def('brpoplpush', 4, 'write denyoom noscript', [1, 2, 1], (c, a) => B.cmdBlmove(c, a, true));
def('bzpopmin', -3, 'write noscript fast', [1, -2, 1], (c, a) => B.cmdBzpop(c, a, false));
def('bzpopmax', -3, 'write noscript fast', [1, -2, 1], (c, a) => B.cmdBzpop(c, a, true));
def('object', -2, 'readonly', [2, 2, 1], O.cmdObject);
def('memory', -2, 'readonly', [2, 2, 1], O.cmdMemory);
def('ping', -1, 'fast', K0, A.cmdPing);
def('echo', 2, 'fast', K0, A.cmdEcho);
def('quit', -1, 'noauth fast', K0, A.cmdQuit);
def('select', 2, 'fast', K0, A.cmdSelect);
def('auth', -2, 'noauth fast', K0, A.cmdAuth);
def('hello', -1, 'noauth fast', K0, A.cmdHello);
def('info', -1, '', K0, A.cmdInfo);
def('config', -2, 'admin', K0, A.cmdConfig);
def('client', -2, '', K0, A.cmdClient);
def('command', -1, '', K0, (c, a) => A.cmdCommand(c, a, table));
def('meet', 2, 'admin no-multi', K0, A.cmdMeet);
def('forget', 2, 'admin no-multi', K0, A.cmdForget);
def('replicas', 1, 'admin', K0, A.cmdReplicas);
def('node', 1, 'admin', K0, A.cmdNode);
def('wait', 3, '', K0, A.cmdWait);
def('save', 1, 'admin no-multi', K0, A.cmdSave);
def('bgsave', -1, 'admin', K0, A.cmdBgsave);
def('lastsave', 1, 'fast', K0, A.cmdLastsave);
def('shutdown', -1, 'admin no-multi', K0, A.cmdShutdown);
def('multi', 1, 'fast', K0, M.cmdMulti);
def('exec', 1, '', K0, (c) => M.cmdExec(c, dispatch));
def('discard', 1, 'fast', K0, M.cmdDiscard);
def('watch', -2, 'fast', KALL, M.cmdWatch);
def('unwatch', 1, 'fast', K0, M.cmdUnwatch);

export const commandTable: ReadonlyMap<string, CommandSpec> = table;

/** Runs one command; returns a promise only for commands that reply later (MEET, WAIT, SAVE). */
export function dispatch(ctx: CmdCtx, args: Buffer[]): void | Promise<void> {
  const raw = args[0]!;
  const spec = index.find(raw);
  if (!spec) {
    let msg = `ERR unknown command '${raw.toString('latin1').slice(0, 128)}', with args beginning with: `;
    for (let i = 1; i < args.length && msg.length < 256; i++) msg += `'${args[i]!.toString('latin1').slice(0, 128)}' `;
    M.flagMulti(ctx.sess);
    return ctx.out.error(msg);
  }
  // Redis's order: unknown command, then arity, then authentication; each refusal inside
  // MULTI also dooms the transaction (EXECABORT)
  if ((spec.arity > 0 && args.length !== spec.arity) || args.length < -spec.arity) {
    M.flagMulti(ctx.sess);
    return ctx.out.error(ERR.arity(spec.name));
  }
  if (ctx.server.requirepass && !ctx.sess.authed && !spec.flags.includes('noauth')) {
    M.flagMulti(ctx.sess);
    return ctx.out.error(ERR.noAuth);
  }
  const name = spec.name;
  // a RESP2 client in subscribed mode may only (un)subscribe, PING, QUIT and RESET
  if (ctx.out.proto === 2 && P.subCount(ctx.sess.subscriber) > 0 && !ctx.sess.multi) {
    if (!P.SUBSCRIBED_ALLOWED.has(name)) {
      return ctx.out.error(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    }
    if (name === 'ping') return P.subscribedPing(ctx, args);
  }
  if (ctx.sess.multi && !M.MULTI_IMMEDIATE.has(name)) {
    if (spec.flags.includes('no-multi')) {
      M.flagMulti(ctx.sess);
      return ctx.out.error(M.MULTI_ERR.notAllowed);
    }
    return M.queueCommand(ctx, args);
  }
  return spec.handler(ctx, args);
}

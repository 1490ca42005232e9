// Random list and sorted-set commands for the differential test (issue 22): the same key
// pool as the other generators, so wrong types, emptied keys and expiries mix in.
export type Pick = <T>(xs: T[]) => T;

export function listCommands(r: () => number, pick: Pick, key: () => string): Array<() => string[]> {
  const v = () => pick(['a', 'b', 'c', '', 'hello world']);
  const idx = () => pick(['0', '1', '-1', '2', '-2', '5', '-100', '100', 'x', '9223372036854775807', '-9223372036854775808']);
  const vs = (): string[] => Array.from({ length: 1 + Math.floor(r() * 3) }, v);
  const side = () => pick(['LEFT', 'RIGHT', 'left', 'UP']);
  return [
    () => [pick(['LPUSH', 'RPUSH']), key(), ...vs()],
    () => [pick(['LPUSH', 'RPUSH']), key(), ...vs()],
    () => [pick(['LPUSHX', 'RPUSHX']), key(), ...vs()],
    () => [pick(['LPOP', 'RPOP']), key()],
    () => [pick(['LPOP', 'RPOP']), key(), pick(['0', '1', '2', '10', '-1', 'x'])],
    () => ['LRANGE', key(), idx(), idx()],
    () => ['LRANGE', key(), '0', '-1'],
    () => ['LLEN', key()],
    () => ['LINDEX', key(), idx()],
    () => ['LSET', key(), idx(), v()],
    () => ['LREM', key(), pick(['0', '1', '-1', '2', '-2', 'x']), v()],
    () => ['LTRIM', key(), idx(), idx()],
    () => ['LINSERT', key(), pick(['BEFORE', 'AFTER', 'after', 'MIDDLE']), v(), v()],
    () => ['LPOS', key(), v(), ...(r() < 0.5 ? [pick(['RANK', 'COUNT', 'MAXLEN', 'BAD']), pick(['0', '1', '-1', '2', '-2', 'x'])] : [])],
    () => ['LPOS', key(), v(), 'RANK', pick(['1', '-1', '2']), 'COUNT', pick(['0', '1', '2']), ...(r() < 0.3 ? ['MAXLEN', pick(['0', '1', '3'])] : [])],
    () => ['LMOVE', key(), key(), side(), side()],
    () => ['RPOPLPUSH', key(), key()],
    // blocking forms: a short timeout (an empty source waits 10 ms on both servers), never 0
    () => pick([
      () => ['BLMOVE', key(), key(), side(), side(), pick(['0.01', '0.01', 'x', '-1'])],
      () => ['BRPOPLPUSH', key(), key(), pick(['0.01', 'x'])],
      () => [pick(['BLPOP', 'BRPOP']), key(), ...(r() < 0.5 ? [key()] : []), pick(['0.01', 'x'])],
    ])(),
  ];
}

export function zsetCommands(r: () => number, pick: Pick, key: () => string): Array<() => string[]> {
  // scores exact in binary (Redis adds increments one by one, constdb per node: see zset.ts)
  const sc = () => pick(['0', '1', '-1', '2.5', '-0.5', '10', '1e3', 'inf', '-inf', '+inf', 'x', '', '1.5e-3', '0.1', 'nan', '(1']);
  const inc = () => pick(['1', '-1', '2.5', '0.25', 'inf', '-inf', 'x']);
  const m = () => pick(['a', 'b', 'c', 'd', '']);
  const flags = (): string[] => (r() < 0.5 ? [] : Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'])));
  const pairs = (): string[] => Array.from({ length: 1 + Math.floor(r() * 3) }, () => [sc(), m()]).flat();
  const bound = () => pick(['-inf', '+inf', '0', '1', '(1', '2.5', '(2.5', '-1', 'x', '10']);
  const lex = () => pick(['-', '+', '[a', '(a', '[c', '(c', 'a', '[']);
  const rk = () => pick(['0', '1', '-1', '2', '-2', '10', 'x']);
  const limit = (): string[] => (r() < 0.3 ? ['LIMIT', pick(['0', '1', '-1', 'x']), pick(['1', '2', '-1', '0'])] : []);
  const ws = (): string[] => (r() < 0.4 ? ['WITHSCORES'] : []);
  const keys = (): string[] => {
    const k = 1 + Math.floor(r() * 3);
    return [pick([String(k), String(k), '0', 'x', String(k + 1)]), ...Array.from({ length: k }, key)];
  };
  return [
    () => ['ZADD', key(), ...flags(), ...pairs()],
    () => ['ZADD', key(), ...pairs()],
    () => ['ZINCRBY', key(), inc(), m()],
    () => ['ZREM', key(), m(), ...(r() < 0.5 ? [m()] : [])],
    () => ['ZSCORE', key(), m()],
    () => ['ZMSCORE', key(), m(), m()],
    () => ['ZCARD', key()],
    () => [pick(['ZRANK', 'ZREVRANK']), key(), m()],
    () => [pick(['ZPOPMIN', 'ZPOPMAX']), key(), ...(r() < 0.5 ? [pick(['0', '1', '2', '-1', 'x'])] : [])],
    () => [pick(['BZPOPMIN', 'BZPOPMAX']), key(), ...(r() < 0.5 ? [key()] : []), pick(['0.01', '0.01', 'x', '-1'])],
    () => ['ZRANGE', key(), rk(), rk(), ...(r() < 0.2 ? ['REV'] : []), ...ws(), ...(r() < 0.1 ? limit() : [])],
    () => ['ZRANGE', key(), bound(), bound(), 'BYSCORE', ...(r() < 0.3 ? ['REV'] : []), ...limit(), ...ws()],
    () => ['ZRANGE', key(), lex(), lex(), 'BYLEX', ...(r() < 0.3 ? ['REV'] : []), ...limit(), ...(r() < 0.1 ? ['WITHSCORES'] : [])],
    () => [pick(['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE']), key(), bound(), bound(), ...ws(), ...limit()],
    () => [pick(['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), key(), lex(), lex(), ...limit()],
    () => ['ZREVRANGE', key(), rk(), rk(), ...ws()],
    () => ['ZCOUNT', key(), bound(), bound()],
    () => ['ZLEXCOUNT', key(), lex(), lex()],
    () => ['ZRANGESTORE', key(), key(), rk(), rk(), ...(r() < 0.3 ? ['BYSCORE'] : []), ...(r() < 0.2 ? ['REV'] : [])],
    () => [pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), key(), ...keys(), ...(r() < 0.3 ? ['WEIGHTS', '2', '3', '0'].slice(0, 2) : []), ...(r() < 0.3 ? ['AGGREGATE', pick(['SUM', 'MIN', 'MAX', 'AVG'])] : [])],
    () => [pick(['ZUNION', 'ZINTER', 'ZDIFF']), ...keys(), ...ws()],
  ];
}

export function moreCommands(r: () => number, pick: Pick, key: () => string): Array<() => string[]> {
  const fl = () => pick(['0.1', '1', '-2.5', '1e3', '3.0e-2', 'x', '', ' 1', 'inf', '-inf', 'nan', '10.50', '5e-20', '.5', '7.', '-0']);
  const m = () => pick(['a', 'b', 'c', '1', '']);
  const scanOpts = (): string[] => (r() < 0.4 ? [pick(['MATCH', 'COUNT', 'BAD']), pick(['a*', '?', '5', '0', 'x'])] : []);
  return [
    () => ['INCRBYFLOAT', key(), fl()],
    () => ['HINCRBYFLOAT', key(), m(), fl()],
    () => ['SETRANGE', key(), pick(['0', '1', '3', '-1', 'x', '10']), pick(['xy', '', 'hello'])],
    // (a nonzero cursor continues a scan: each server's own cursors, not comparable)
    () => [pick(['SSCAN', 'HSCAN', 'ZSCAN']), key(), pick(['0', '0', 'x', '18446744073709551616']), ...scanOpts()],
    () => ['SRANDMEMBER', key(), ...(r() < 0.6 ? [pick(['0', '2', '-3', '10', 'x'])] : [])],
    () => ['HRANDFIELD', key(), ...(r() < 0.6 ? [pick(['0', '2', '-3', '10', 'x'])] : []), ...(r() < 0.3 ? [pick(['WITHVALUES', 'BAD'])] : [])],
    () => ['RANDOMKEY'],
    () => ['OBJECT', 'ENCODING', key()],
    () => ['MEMORY', 'USAGE', key(), ...(r() < 0.2 ? ['SAMPLES', pick(['5', '0', 'x', '-1'])] : [])],
  ];
}

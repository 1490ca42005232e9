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
  ];
}

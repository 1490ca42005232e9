// Client checklists (issue 22): ioredis, node-redis 4 and redis-py (Debian python3-redis)
// each run >= 25 commands across every data type, pipelines, MULTI/EXEC, cursor scans and
// pub/sub against one real constdb node; every check must pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { freePorts } from '@quorumkit/test-harness';
import { startConstdb, which, type Proc } from './proc.js';

type Check = [string, () => Promise<unknown>, unknown];

async function runChecks(checks: Check[]): Promise<Record<string, true | string>> {
  const out: Record<string, true | string> = {};
  for (const [name, fn, want] of checks) {
    try {
      const got = await fn();
      out[name] = JSON.stringify(got) === JSON.stringify(want) ? true : `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
    } catch (e) {
      out[name] = `error ${(e as Error).message}`;
    }
  }
  return out;
}

const allPassed = (r: Record<string, true | string>) => Object.fromEntries(Object.keys(r).map((k) => [k, true]));

describe('client checklists', () => {
  let node: Proc;
  beforeAll(async () => {
    const [port] = await freePorts(1);
    node = await startConstdb(port!);
  }, 60_000);
  afterAll(async () => {
    await node?.stop('SIGKILL');
  });

  it('ioredis: every check passes', async () => {
    const r = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    const sub = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      await r.flushall();
      const res = await runChecks([
        ['set/get', async () => [await r.set('io:s', 'v'), await r.get('io:s')], ['OK', 'v']],
        ['set EX + ttl', async () => (await r.set('io:e', 'x', 'EX', 100), (await r.ttl('io:e')) > 0), true],
        ['incr/incrby/decr', async () => [await r.incr('io:c'), await r.incrby('io:c', 4), await r.decr('io:c')], [1, 5, 4]],
        ['incrbyfloat', async () => r.incrbyfloat('io:f', '0.5'), '0.5'],
        ['append/strlen/getrange', async () => [await r.append('io:s', 'w'), await r.strlen('io:s'), await r.getrange('io:s', 0, 0)], [2, 2, 'v']],
        ['setrange', async () => [await r.setrange('io:s', 1, 'X'), await r.get('io:s')], [2, 'vX']],
        ['mset/mget', async () => [await r.mset('io:a', '1', 'io:b', '2'), await r.mget('io:a', 'io:b', 'io:n')], ['OK', ['1', '2', null]]],
        ['hset/hgetall', async () => [await r.hset('io:h', { f: '1', g: '2' }), await r.hgetall('io:h')], [2, { f: '1', g: '2' }]],
        ['hmget/hincrby/hdel', async () => [await r.hmget('io:h', 'f', 'x'), await r.hincrby('io:h', 'f', 2), await r.hdel('io:h', 'g')], [['1', null], 3, 1]],
        ['sadd/smembers/sismember', async () => [await r.sadd('io:set', 'a', 'b'), (await r.smembers('io:set')).sort(), await r.sismember('io:set', 'a')], [2, ['a', 'b'], 1]],
        ['srem/scard/sinter', async () => [await r.srem('io:set', 'a'), await r.scard('io:set'), await r.sinter('io:set', 'io:set')], [1, 1, ['b']]],
        ['rpush/lpush/lrange', async () => [await r.rpush('io:l', 'a', 'b'), await r.lpush('io:l', 'z'), await r.lrange('io:l', 0, -1)], [2, 3, ['z', 'a', 'b']]],
        ['lpop/rpop/llen', async () => [await r.lpop('io:l'), await r.rpop('io:l'), await r.llen('io:l')], ['z', 'b', 1]],
        ['linsert/lindex/lset', async () => [await r.linsert('io:l', 'AFTER', 'a', 'q'), await r.lindex('io:l', 1), await r.lset('io:l', 0, 'A'), await r.lrange('io:l', 0, -1)], [2, 'q', 'OK', ['A', 'q']]],
        ['lmove', async () => [await r.lmove('io:l', 'io:l2', 'LEFT', 'RIGHT'), await r.lrange('io:l2', 0, -1)], ['A', ['A']]],
        ['zadd/zrange withscores', async () => [await r.zadd('io:z', 1, 'a', 2.5, 'b'), await r.zrange('io:z', 0, -1, 'WITHSCORES')], [2, ['a', '1', 'b', '2.5']]],
        ['zincrby/zscore/zrank', async () => [await r.zincrby('io:z', 2, 'a'), await r.zscore('io:z', 'a'), await r.zrank('io:z', 'a')], ['3', '3', 1]],
        ['zrangebyscore/zcount', async () => [await r.zrangebyscore('io:z', '(2', '+inf'), await r.zcount('io:z', '-inf', '+inf')], [['b', 'a'], 2]],
        ['zpopmin/zcard', async () => [await r.zpopmin('io:z'), await r.zcard('io:z')], [['b', '2.5'], 1]],
        ['exists/type/del', async () => [await r.exists('io:l', 'io:n'), await r.type('io:z'), await r.del('io:a')], [1, 'zset', 1]],
        ['expire/persist/pttl', async () => [await r.expire('io:s', 100), await r.persist('io:s'), await r.pttl('io:s')], [1, 1, -1]],
        ['rename/copy', async () => [await r.rename('io:b', 'io:b2'), await r.copy('io:b2', 'io:b3'), await r.get('io:b3')], ['OK', 1, '2']],
        ['pipeline', async () => r.pipeline().set('io:p', '1').incr('io:p').get('io:p').exec(), [[null, 'OK'], [null, 2], [null, '2']]],
        ['multi/exec', async () => r.multi().incr('io:t').incr('io:t').exec(), [[null, 1], [null, 2]]],
        ['multi/exec with a runtime error', async () => (await r.multi().set('io:w', 'x').lpush('io:w', 'y').exec())!.map(([e]) => (e ? 'err' : 'ok')), ['ok', 'err']],
        ['scanStream', async () => {
          const keys: string[] = [];
          for await (const batch of r.scanStream({ match: 'io:[hl]*', count: 3 })) keys.push(...(batch as string[]));
          return [...new Set(keys)].sort();
        }, ['io:h', 'io:l', 'io:l2']],
        ['hscanStream', async () => {
          const kv: string[] = [];
          for await (const batch of r.hscanStream('io:h')) kv.push(...(batch as string[]));
          return kv;
        }, ['f', '3']],
        ['pub/sub', async () => {
          const got = new Promise<string>((res) => sub.once('message', (_c: string, m: string) => res(m)));
          await sub.subscribe('io:ch');
          const n = await r.publish('io:ch', 'hello');
          return [n, await got];
        }, [1, 'hello']],
      ]);
      expect(Object.keys(res).length).toBeGreaterThanOrEqual(25);
      expect(res).toEqual(allPassed(res));
    } finally {
      r.disconnect();
      sub.disconnect();
    }
  }, 60_000);

  it('node-redis 4: every check passes', async () => {
    const r = createClient({ socket: { host: '127.0.0.1', port: node.port, reconnectStrategy: false } });
    r.on('error', () => {});
    await r.connect();
    const sub = r.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    try {
      await r.flushAll();
      const res = await runChecks([
        ['set/get', async () => [await r.set('nr:s', 'v'), await r.get('nr:s')], ['OK', 'v']],
        ['set EX + ttl', async () => (await r.set('nr:e', 'x', { EX: 100 }), (await r.ttl('nr:e')) > 0), true],
        ['incr/incrBy', async () => [await r.incr('nr:c'), await r.incrBy('nr:c', 4)], [1, 5]],
        ['incrByFloat', async () => r.incrByFloat('nr:f', 1.5), '1.5'],
        ['append/strLen', async () => [await r.append('nr:s', 'w'), await r.strLen('nr:s')], [2, 2]],
        ['mSet/mGet', async () => [await r.mSet({ 'nr:a': '1', 'nr:b': '2' }), await r.mGet(['nr:a', 'nr:n'])], ['OK', ['1', null]]],
        ['hSet/hGetAll', async () => [await r.hSet('nr:h', { f: '1', g: '2' }), { ...(await r.hGetAll('nr:h')) }], [2, { f: '1', g: '2' }]],
        ['hmGet/hIncrBy/hDel/hLen', async () => [await r.hmGet('nr:h', ['f', 'x']), await r.hIncrBy('nr:h', 'f', 2), await r.hDel('nr:h', 'g'), await r.hLen('nr:h')], [['1', null], 3, 1, 1]],
        ['sAdd/sMembers', async () => [await r.sAdd('nr:set', ['a', 'b']), (await r.sMembers('nr:set')).sort()], [2, ['a', 'b']]],
        ['sIsMember/sRem/sCard', async () => [await r.sIsMember('nr:set', 'a'), await r.sRem('nr:set', 'a'), await r.sCard('nr:set')], [true, 1, 1]],
        ['rPush/lRange', async () => [await r.rPush('nr:l', ['a', 'b', 'c']), await r.lRange('nr:l', 0, -1)], [3, ['a', 'b', 'c']]],
        ['lPush/lPop/rPop', async () => [await r.lPush('nr:l', 'z'), await r.lPop('nr:l'), await r.rPop('nr:l')], [4, 'z', 'c']],
        ['lLen/lIndex/lRem', async () => [await r.lLen('nr:l'), await r.lIndex('nr:l', 0), await r.lRem('nr:l', 0, 'b')], [2, 'a', 1]],
        ['zAdd/zRangeWithScores', async () => [await r.zAdd('nr:z', [{ score: 1, value: 'a' }, { score: 2.5, value: 'b' }]), await r.zRangeWithScores('nr:z', 0, -1)], [2, [{ value: 'a', score: 1 }, { value: 'b', score: 2.5 }]]],
        ['zIncrBy/zScore', async () => [await r.zIncrBy('nr:z', 2, 'a'), await r.zScore('nr:z', 'a')], [3, 3]],
        ['zRank/zCard/zRem', async () => [await r.zRank('nr:z', 'a'), await r.zCard('nr:z'), await r.zRem('nr:z', 'b')], [1, 2, 1]],
        ['zRange BYSCORE', async () => r.zRange('nr:z', 0, 10, { BY: 'SCORE' }), ['a']],
        ['zPopMin', async () => r.zPopMin('nr:z'), { value: 'a', score: 3 }],
        ['exists/type', async () => [await r.exists(['nr:l', 'nr:n']), await r.type('nr:l')], [1, 'list']],
        ['expire/persist/ttl', async () => [await r.expire('nr:s', 100), await r.persist('nr:s'), await r.ttl('nr:s')], [true, true, -1]],
        ['rename/del', async () => [await r.rename('nr:a', 'nr:a2'), await r.del(['nr:a2', 'nr:b'])], ['OK', 2]],
        ['multi/exec', async () => r.multi().incr('nr:t').incr('nr:t').get('nr:t').exec(), [1, 2, '2']],
        ['pipelined commands (Promise.all)', async () => Promise.all([r.set('nr:p', '1'), r.incr('nr:p'), r.get('nr:p')]), ['OK', 2, '2']],
        ['scanIterator', async () => {
          const keys: string[] = [];
          for await (const k of r.scanIterator({ MATCH: 'nr:[hl]*', COUNT: 2 })) keys.push(k);
          return [...new Set(keys)].sort();
        }, ['nr:h', 'nr:l']],
        ['sScanIterator', async () => {
          const ms: string[] = [];
          for await (const m of r.sScanIterator('nr:set')) ms.push(m);
          return ms;
        }, ['b']],
        ['pub/sub', async () => {
          let resolve!: (m: string) => void;
          const got = new Promise<string>((res) => (resolve = res));
          await sub.subscribe('nr:ch', (m) => resolve(m));
          const n = await r.publish('nr:ch', 'hello');
          return [n, await got];
        }, [1, 'hello']],
      ]);
      expect(Object.keys(res).length).toBeGreaterThanOrEqual(25);
      expect(res).toEqual(allPassed(res));
    } finally {
      await sub.disconnect().catch(() => {});
      await r.disconnect().catch(() => {});
    }
  }, 60_000);

  it('redis-py (python3-redis): every check passes', (ctx) => {
    // Debian's python3-redis lives beside /usr/bin/python3 (a python3 earlier on PATH may lack it)
    const py = ['/usr/bin/python3', which('python3')].find((p) => p && spawnSync(p, ['-c', 'import redis'], { encoding: 'utf8' }).status === 0);
    if (!py) {
      console.log('skipped: python3-redis not installed (Debian package python3-redis)');
      return ctx.skip();
    }
    const script = fileURLToPath(new URL('./clients/redispy_checklist.py', import.meta.url));
    const r = spawnSync(py, [script, String(node.port)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Record<string, true | string>;
    expect(Object.keys(res).length).toBeGreaterThanOrEqual(25);
    expect(res).toEqual(allPassed(res));
  }, 90_000);
});

// A real constdb process against real clients: ioredis, redis-cli, redis-benchmark, raw sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePorts } from '@quorumkit/test-harness';
import { CLI, RawClient, REDIS_BENCHMARK_DEFAULT_TESTS, benchmarkCsvTests, startConstdb, tmp, which, type Proc } from './proc.js';

const redisCli = which('redis-cli');
const redisBenchmark = which('redis-benchmark');


describe('constdb server with real clients', () => {
  let node: Proc;
  let redis: Redis;

  beforeAll(async () => {
    const [port] = await freePorts(1);
    node = await startConstdb(port!);
    redis = new Redis({ port: port!, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  afterAll(async () => {
    redis?.disconnect();
    await node?.stop('SIGKILL');
  });

  it('serves the seed commands to ioredis with Redis reply shapes', async () => {
    expect(await redis.incr('k1')).toBe(1);
    expect(await redis.incr('k1')).toBe(2);
    expect(await redis.decr('k1')).toBe(1);
    expect(await redis.set('s1', 'hello')).toBe('OK');
    expect(await redis.get('s1')).toBe('hello');
    expect(await redis.get('missing')).toBeNull();
    expect(await redis.sadd('set', 'a', 'b', 'c', 'a')).toBe(3);
    expect(await redis.srem('set', 'b', 'zz')).toBe(1);
    expect((await redis.smembers('set')).sort()).toEqual(['a', 'c']);
    expect(await redis.smembers('nope')).toEqual([]);
    const popped = await redis.spop('set');
    expect(['a', 'c']).toContain(popped);
    expect(await redis.hset('h', 'f1', 'v1', 'f2', 'v2')).toBe(2);
    expect(await redis.hget('h', 'f1')).toBe('v1');
    expect(await redis.hgetall('h')).toEqual({ f1: 'v1', f2: 'v2' });
    expect(await redis.call('HGETALL', 'h')).toEqual(['f1', 'v1', 'f2', 'v2']);
    expect(await redis.hdel('h', 'f1', 'nope')).toBe(1);
    expect(await redis.del('k1', 's1', 'nokey')).toBe(2);
    expect(await redis.exists('k1', 'h', 'h')).toBe(2);
    expect(await redis.type('h')).toBe('hash');
    expect(await redis.type('none')).toBe('none');
  });

  it('ioredis transactions: a rejected EXEC moves nothing, a good one applies everything, WATCH aborts', async () => {
    await redis.set('tx', '5');
    // the pipeline fails (EXECABORT) and the counter stays where it was
    await expect(redis.multi().incr('tx').call('NOSUCHCMD').incr('tx').exec()).rejects.toThrow(/EXECABORT/);
    expect(await redis.get('tx')).toBe('5');
    const ok = await redis.multi().incr('tx').sadd('txs', 'a').get('tx').exec();
    expect(ok).toEqual([[null, 6], [null, 1], [null, '6']]);
    const other = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    await other.connect();
    try {
      await redis.watch('tx');
      await other.set('tx', '100');
      expect(await redis.multi().set('tx', '7').exec()).toBeNull();
      expect(await redis.get('tx')).toBe('100');
    } finally {
      other.disconnect();
    }
  });

  it('answers errors with Redis texts', async () => {
    await redis.set('str', 'abc');
    await expect(redis.incr('str')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(redis.sadd('str', 'x')).rejects.toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
    await expect(redis.call('GET')).rejects.toThrow("ERR wrong number of arguments for 'get' command");
    await expect(redis.call('NOSUCH', 'a')).rejects.toThrow("ERR unknown command 'NOSUCH', with args beginning with: 'a' ");
    await redis.set('big', '9223372036854775807');
    await expect(redis.incr('big')).rejects.toThrow('ERR increment or decrement would overflow');
    await expect(redis.call('SELECT', '1')).rejects.toThrow('ERR DB index is out of range');
    expect(await redis.call('SELECT', '0')).toBe('OK');
  });

  it('pipelines, big values (> 4 KiB replies) and binary data', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 256;
    await redis.set('bigv', big);
    expect(Buffer.compare((await redis.getBuffer('bigv'))!, big)).toBe(0);
    const p = redis.pipeline();
    for (let i = 0; i < 5000; i++) p.incr('pipe');
    const res = await p.exec();
    expect(res!.map((r) => r[1])).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  it('expiry commands', async () => {
    await redis.set('e', 'v', 'EX', 100);
    const ttl = await redis.ttl('e');
    expect(ttl).toBeGreaterThan(98);
    expect(await redis.persist('e')).toBe(1);
    expect(await redis.ttl('e')).toBe(-1);
    expect(await redis.pexpire('e', 30)).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(await redis.get('e')).toBeNull();
    expect(await redis.ttl('e')).toBe(-2);
  });

  it('INFO, DBSIZE, KEYS, SCAN, CONFIG GET, CLIENT, COMMAND', async () => {
    const info = await redis.info();
    expect(info).toMatch(/loading:0/);
    expect(info).toMatch(/connected_clients:\d+/);
    expect(info).toMatch(/total_commands_processed:[1-9]/);
    const n = await redis.dbsize();
    expect(n).toBeGreaterThan(0);
    expect((await redis.keys('*')).length).toBe(n);
    let cursor = '0';
    const seen = new Set<string>();
    do {
      const [c, keys] = await redis.scan(cursor, 'COUNT', 2);
      cursor = c;
      keys.forEach((k) => seen.add(k));
    } while (cursor !== '0');
    expect(seen.size).toBe(n);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(await redis.client('SETNAME', 'tester')).toBe('OK');
    expect(await redis.client('GETNAME')).toBe('tester');
    expect(await redis.call('COMMAND', 'COUNT')).toBeGreaterThan(40);
  });

  it('closes a client that sends malformed RESP with a protocol error, others unharmed', async () => {
    const raw = await RawClient.open(node.port);
    const r = await raw.send(Buffer.from('*2\r\n$3\r\nGET\r\n!oops\r\n'));
    expect(r).toEqual({ err: "ERR Protocol error: expected '$', got '!'" });
    for (let i = 0; i < 250 && !raw.closed; i++) await new Promise((res) => setTimeout(res, 20));
    expect(raw.closed).toBe(true);
    expect(await redis.ping()).toBe('PONG');
  });

  it('redis-cli works against it', (ctx) => {
    if (!redisCli) {
      console.log('skipped: redis-cli not installed (Debian package redis-tools)');
      return ctx.skip();
    }
    const run = (...a: string[]) => spawnSync(redisCli, ['-p', String(node.port), ...a], { encoding: 'utf8' }).stdout.trim();
    expect(run('set', 'cli', '5')).toBe('OK');
    expect(run('incr', 'cli')).toBe('6');
    expect(run('hset', 'clih', 'a', 'b')).toBe('1');
    expect(run('hgetall', 'clih')).toBe('a\nb');
    expect(run('info', 'server')).toMatch(/redis_version/);
    // inline commands through a pipe
    const r = spawnSync(redisCli, ['-p', String(node.port)], { input: 'incr pipe2\nget pipe2\n', encoding: 'utf8' });
    expect(r.stdout.trim().split('\n')).toEqual(['1', '1']);
  });

  it('redis-benchmark completes its whole default test list without errors (issue 22)', (ctx) => {
    if (!redisBenchmark) {
      console.log('skipped: redis-benchmark not installed (Debian package redis-tools)');
      return ctx.skip();
    }
    // the acceptance's options (default -c 50, -P 1, the default test list), fewer requests
    const r = spawnSync(redisBenchmark, ['-p', String(node.port), '-n', '2000', '-q', '--csv'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(benchmarkCsvTests(r.stdout)).toEqual(REDIS_BENCHMARK_DEFAULT_TESTS);
  }, 150_000);
});

describe('constdb server: auth, config, persistence', () => {
  it('requirepass: NOAUTH before AUTH, WRONGPASS, then OK', async () => {
    const [port] = await freePorts(1);
    const node = await startConstdb(port!, ['--requirepass', 's3cret']);
    try {
      const raw = await RawClient.open(port!);
      expect(await raw.call('GET', 'x')).toEqual({ err: 'NOAUTH Authentication required.' });
      expect(await raw.call('AUTH', 'bad')).toEqual({ err: 'WRONGPASS invalid username-password pair or user is disabled.' });
      expect(await raw.call('AUTH', 's3cret')).toBe('OK');
      expect(await raw.call('SET', 'x', '1')).toBe('OK');
      raw.close();
      const r = new Redis({ port: port!, password: 's3cret', lazyConnect: true });
      await r.connect();
      expect(await r.get('x')).toBe('1');
      r.disconnect();
    } finally {
      await node.stop('SIGKILL');
    }
  });

  it('SHUTDOWN writes a snapshot and exits; the data is back after a restart', async () => {
    const dir = tmp();
    const [port] = await freePorts(1);
    let node = await startConstdb(port!, [], dir);
    const raw = await RawClient.open(port!);
    await raw.call('SET', 'kept', 'yes');
    raw.sock.write('*1\r\n$8\r\nSHUTDOWN\r\n');
    expect(await node.stop('SIGCONT')).toBe(0);
    node = await startConstdb(port!, [], dir);
    const raw2 = await RawClient.open(port!);
    try {
      expect(await raw2.call('GET', 'kept')).toBe('yes');
    } finally {
      raw2.close();
      await node.stop('SIGKILL');
    }
  });

  it('SAVE makes everything durable without an AOF; BGSAVE and LASTSAVE answer like Redis', async () => {
    const dir = tmp();
    const [port] = await freePorts(1);
    let node = await startConstdb(port!, ['--appendonly', 'no', '--snapshot-interval', '0'], dir);
    const raw = await RawClient.open(port!);
    try {
      expect(await raw.call('LASTSAVE')).toBeGreaterThan(1_700_000_000n);
      await raw.call('SET', 'saved', 'yes');
      expect(await raw.call('SAVE')).toBe('OK');
      expect(await raw.call('BGSAVE')).toBe('Background saving started');
      expect(await raw.call('BGSAVE', 'NOW')).toEqual({ err: 'ERR syntax error' });
      await raw.call('SET', 'unsaved', 'lost');
    } finally {
      raw.close();
    }
    // SIGKILL: only what a snapshot holds survives
    await node.stop('SIGKILL');
    node = await startConstdb(port!, ['--appendonly', 'no', '--snapshot-interval', '0'], dir);
    const raw2 = await RawClient.open(port!);
    try {
      expect(await raw2.call('GET', 'saved')).toBe('yes');
      expect(await raw2.call('GET', 'unsaved')).toBeNull();
    } finally {
      raw2.close();
      await node.stop('SIGKILL');
    }
  });

  it('a bad config file is one clear line and exit code 1', () => {
    const dir = tmp();
    const file = join(dir, 'constdb.toml');
    writeFileSync(file, 'node_id = 1\nport = "ninety"\n');
    const r = spawnSync(process.execPath, [CLI, file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('constdb-server: invalid config: port must be a non-negative integer, got "ninety"');
    writeFileSync(file, 'node_id = 1\nbogus_key = 3\n');
    const r2 = spawnSync(process.execPath, [CLI, '-c', file], { encoding: 'utf8' });
    expect(r2.status).toBe(1);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toMatch(/unknown key bogus_key/);
    // -h is the host (as for redis-server), --help the help
    const r3 = spawnSync(process.execPath, [CLI, '-h', '256.1.1.1', '--port', '0', '--work-dir', dir], { encoding: 'utf8', timeout: 20_000 });
    expect(r3.status).not.toBe(0);
    expect(r3.stdout + r3.stderr).toMatch(/256\.1\.1\.1/);
    const r4 = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(r4.stdout).toMatch(/-h, --host <addr>/);
  });

  it('keeps data across a clean restart (snapshot) and a SIGKILL (AOF always)', async () => {
    const dir = tmp();
    const [port] = await freePorts(1);
    writeFileSync(join(dir, 'constdb.toml'), `id = 7\nport = ${port}\nwork_dir = "${dir}"\nlog_level = "warn"\nappendonly = true\nappendfsync = "always"\n`);
    const start = () => startConstdb(port!, ['-c', join(dir, 'constdb.toml')], dir);
    let node = await start();
    let raw = await RawClient.open(port!);
    await raw.call('SET', 'a', 'x');
    await raw.call('INCRBY', 'n', '5');
    await raw.call('SADD', 's', 'm1', 'm2');
    raw.close();
    expect(await node.stop('SIGTERM')).toBe(0);
    node = await start();
    raw = await RawClient.open(port!);
    expect(await raw.call('GET', 'a')).toBe('x');
    await raw.call('INCRBY', 'n', '2');
    await raw.call('SREM', 's', 'm1');
    await raw.call('HSET', 'h', 'f', 'v');
    raw.close();
    await node.stop('SIGKILL');
    node = await start();
    raw = await RawClient.open(port!);
    try {
      expect(await raw.call('GET', 'n')).toBe('7');
      expect(await raw.call('SMEMBERS', 's')).toEqual(['m2']);
      expect(await raw.call('HGET', 'h', 'f')).toBe('v');
      expect(await raw.call('GET', 'a')).toBe('x');
    } finally {
      raw.close();
      await node.stop('SIGKILL');
    }
  });
});

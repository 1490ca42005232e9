// CLIENT KILL, CONFIG SET, OBJECT ENCODING and MEMORY USAGE on a real node (issue 22): the
// effects (a killed client's connection closes, a lowered maxclients refuses the next
// client, CONFIG SET of several pairs is all-or-nothing); the exact reply texts are compared
// with redis-server in test/differential.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { RawClient, startConstdb, type Proc } from './proc.js';

describe('CLIENT KILL / CONFIG SET / OBJECT / MEMORY', () => {
  let node: Proc;
  const cs: RawClient[] = [];
  beforeAll(async () => {
    const [port] = await freePorts(1);
    node = await startConstdb(port!);
  }, 60_000);
  afterAll(async () => {
    for (const c of cs) c.close();
    await node?.stop('SIGKILL');
  });
  const open = async () => {
    const c = await RawClient.open(node.port);
    cs.push(c);
    return c;
  };

  it('CLIENT KILL by ID, ADDR (old form), TYPE; SKIPME no closes the caller after its reply', async () => {
    const admin = await open();
    const victim = await open();
    const id = (await victim.call('CLIENT', 'ID')) as bigint;
    expect(await admin.call('CLIENT', 'KILL', 'ID', String(id))).toBe(1n);
    await waitFor(() => victim.closed, { timeoutMs: 10_000, what: 'the killed client is disconnected' });
    expect(await admin.call('CLIENT', 'KILL', 'ID', String(id))).toBe(0n);

    const v2 = await open();
    // the server knows a client once it has read from it: the TCP connect can complete first
    expect(await v2.call('PING')).toBe('PONG');
    const addr = `127.0.0.1:${v2.sock.localPort}`;
    expect(await admin.call('CLIENT', 'KILL', addr)).toBe('OK');
    await waitFor(() => v2.closed, { timeoutMs: 10_000, what: 'the client killed by address is disconnected' });
    expect(await admin.call('CLIENT', 'KILL', addr)).toEqual({ err: 'ERR No such client' });

    const sub = await open();
    await sub.call('SUBSCRIBE', 'ch');
    const plain = await open();
    expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(1n);
    await waitFor(() => sub.closed, { timeoutMs: 10_000, what: 'the subscriber is disconnected' });
    expect(await plain.call('PING')).toBe('PONG');

    const self = await open();
    const selfId = (await self.call('CLIENT', 'ID')) as bigint;
    expect(await self.call('CLIENT', 'KILL', 'ID', String(selfId))).toBe(0n); // SKIPME yes by default
    expect(await self.call('CLIENT', 'KILL', 'ID', String(selfId), 'SKIPME', 'no')).toBe(1n);
    await waitFor(() => self.closed, { timeoutMs: 10_000, what: 'the caller is disconnected after its reply' });
    expect(await admin.call('PING')).toBe('PONG');
  });

  it('CONFIG SET: maxclients refuses the next client, proto-max-bulk-len applies, a bad pair changes nothing', async () => {
    const c = await open();
    const conns = Number(/connected_clients:(\d+)/.exec(String(await c.call('INFO', 'clients')))![1]);
    expect(await c.call('CONFIG', 'SET', 'maxclients', String(conns), 'loglevel', 'warning')).toBe('OK');
    expect(await c.call('CONFIG', 'GET', 'maxclients')).toEqual(['maxclients', String(conns)]);
    expect(await c.call('CONFIG', 'GET', 'loglevel')).toEqual(['loglevel', 'warning']);
    const refused = await open();
    await waitFor(() => refused.closed, { timeoutMs: 10_000, what: 'a client over maxclients is refused' });
    // all or nothing: the valid first pair is not applied when the second is refused
    expect(await c.call('CONFIG', 'SET', 'maxclients', '10000', 'appendfsync', 'always')).toEqual({
      err: "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - can't set at runtime in constdb (set it in constdb.toml or a flag and restart)",
    });
    expect(await c.call('CONFIG', 'GET', 'maxclients')).toEqual(['maxclients', String(conns)]);
    expect(await c.call('CONFIG', 'SET', 'maxclients', '10000', 'proto-max-bulk-len', '1048576')).toBe('OK');
    expect(await c.call('SET', 'small', 'x'.repeat(1000))).toBe('OK');
    const big = await open();
    void big.call('SET', 'big', 'x'.repeat(1024 * 1024 + 1)).catch(() => undefined);
    await waitFor(() => big.closed, { timeoutMs: 10_000, what: 'a bulk over the new proto-max-bulk-len closes that client' });
    expect(await c.call('EXISTS', 'big')).toBe(0n);
    expect(await c.call('CONFIG', 'SET', 'proto-max-bulk-len', String(512 * 1024 * 1024))).toBe('OK');
  });

  it('OBJECT ENCODING answers the Redis encoding of the value shape; MEMORY USAGE an estimate', async () => {
    const c = await open();
    await c.call('SET', 'o:int', '12345');
    await c.call('SET', 'o:emb', 'hello');
    await c.call('SET', 'o:raw', 'x'.repeat(45));
    await c.call('SADD', 'o:iset', '1', '2');
    await c.call('SADD', 'o:hset', '1', 'a');
    await c.call('HSET', 'o:h', 'f', 'v');
    await c.call('HSET', 'o:hbig', 'f', 'x'.repeat(65));
    await c.call('RPUSH', 'o:l', 'a');
    await c.call('ZADD', 'o:z', '1', 'a');
    const enc = async (k: string) => c.call('OBJECT', 'ENCODING', k);
    expect(await enc('o:int')).toBe('int');
    expect(await enc('o:emb')).toBe('embstr');
    expect(await enc('o:raw')).toBe('raw');
    expect(await enc('o:iset')).toBe('intset');
    expect(await enc('o:hset')).toBe('hashtable');
    expect(await enc('o:h')).toBe('listpack');
    expect(await enc('o:hbig')).toBe('hashtable');
    expect(await enc('o:l')).toBe('quicklist');
    expect(await enc('o:z')).toBe('listpack');
    expect(await enc('o:none')).toBe(null);
    const small = (await c.call('MEMORY', 'USAGE', 'o:emb')) as bigint;
    const large = (await c.call('MEMORY', 'USAGE', 'o:raw')) as bigint;
    expect(typeof small).toBe('bigint');
    expect(large - small).toBe(40n); // 45 vs 5 value bytes, the same key length
    expect(await c.call('MEMORY', 'USAGE', 'o:none')).toBe(null);
  });
});

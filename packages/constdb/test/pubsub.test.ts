// Pub/sub (issue 22) on real processes: ioredis channel and pattern subscribers, RESP2's
// subscribed mode, RESP3 push frames, PUBSUB introspection, and PUBLISH reaching a
// subscriber on another node of the mesh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { freePorts } from '@quorumkit/test-harness';
import { RawClient, startConstdb, type Proc } from './proc.js';

const PUSH = { push: true };

describe('pub/sub', () => {
  let n1: Proc;
  let n2: Proc;
  const clients: Array<RawClient | Redis> = [];
  beforeAll(async () => {
    const [p1, p2] = await freePorts(2);
    n1 = await startConstdb(p1!, ['--node-id', '1', '--replica-heartbeat-frequency', '0.2']);
    n2 = await startConstdb(p2!, ['--node-id', '2', '--replica-heartbeat-frequency', '0.2']);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) {
      if (c instanceof RawClient) c.close();
      else c.disconnect();
    }
    await n1?.stop('SIGKILL');
    await n2?.stop('SIGKILL');
  });
  const raw = async (port: number) => {
    const c = await RawClient.open(port);
    clients.push(c);
    return c;
  };

  it('ioredis: channel and pattern subscribers get each message; PUBLISH counts receivers', async () => {
    const sub = new Redis({ port: n1.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    const pub = new Redis({ port: n1.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    clients.push(sub, pub);
    const got: string[] = [];
    sub.on('message', (ch: string, m: string) => got.push(`message ${ch} ${m}`));
    sub.on('pmessage', (pat: string, ch: string, m: string) => got.push(`pmessage ${pat} ${ch} ${m}`));
    expect(await sub.subscribe('news', 'other')).toBe(2);
    expect(await sub.psubscribe('ne*')).toBe(3);
    expect(await pub.publish('news', 'hello')).toBe(2);
    expect(await pub.publish('nobody', 'x')).toBe(0);
    expect(await pub.pubsub('NUMSUB', 'news', 'nobody')).toEqual(['news', 1, 'nobody', 0]);
    expect(await pub.pubsub('NUMPAT')).toBe(1);
    expect(((await pub.pubsub('CHANNELS')) as string[]).sort()).toEqual(['news', 'other']);
    expect(await pub.pubsub('CHANNELS', 'n*')).toEqual(['news']);
    const deadline = Date.now() + 10_000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got.sort()).toEqual(['message news hello', 'pmessage ne* news hello']);
    // (without arguments ioredis waits for a count of 0, which patterns still held keep above 0, as in Redis)
    expect(await sub.unsubscribe('news', 'other')).toBe(1);
    expect(await sub.punsubscribe('ne*')).toBe(0);
    expect(await pub.publish('news', 'again')).toBe(0);
  });

  it('RESP2 subscribed mode: only (un)subscribe, PING, QUIT; unsubscribing everything leaves it', async () => {
    const c = await raw(n1.port);
    expect(await c.call('SUBSCRIBE', 'a')).toEqual(['subscribe', 'a', 1n]);
    expect(await c.call('GET', 'k')).toEqual({ err: "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context" });
    expect(await c.call('PING')).toEqual(['pong', '']);
    expect(await c.call('PING', 'hi')).toEqual(['pong', 'hi']);
    expect(await c.call('UNSUBSCRIBE')).toEqual(['unsubscribe', 'a', 0n]);
    expect(await c.call('UNSUBSCRIBE')).toEqual(['unsubscribe', null, 0n]);
    expect(await c.call('PING')).toBe('PONG');
    expect(await c.call('GET', 'k')).toBe(null);
  });

  it('RESP3: acks and messages are push frames and other commands still work', async () => {
    const c = await raw(n1.port);
    const p = await raw(n1.port);
    await c.call('HELLO', '3').catch(() => undefined);
    expect(await c.call('SUBSCRIBE', 'r3')).toEqual([PUSH, 'subscribe', 'r3', 1n]);
    expect(await c.call('SET', 'k3', 'v')).toBe('OK');
    const msg = c.next();
    expect(await p.call('PUBLISH', 'r3', 'pushed')).toBe(1n);
    expect(await msg).toEqual([PUSH, 'message', 'r3', 'pushed']);
  });

  it('PUBLISH on one node reaches a subscriber on another node of the mesh', async () => {
    const c1 = await raw(n1.port);
    expect(await c1.call('MEET', `127.0.0.1:${n2.port}`)).toBe(1n);
    const s2 = await raw(n2.port);
    expect(await s2.call('SUBSCRIBE', 'mesh')).toEqual(['subscribe', 'mesh', 1n]);
    // at most once: a message published before the link is up is not kept, so publish until one lands
    const msg = s2.next(30_000);
    let landed = false;
    void msg.then(() => (landed = true), () => undefined);
    const deadline = Date.now() + 30_000;
    while (!landed && Date.now() < deadline) {
      expect(await c1.call('PUBLISH', 'mesh', 'from-n1')).toBe(0n); // no subscriber on n1 itself
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await msg).toEqual(['message', 'mesh', 'from-n1']);
  }, 60_000);
});

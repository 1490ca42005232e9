// Issue 17 item 9: one acceptor that takes connections and never answers (what a SIGSTOPped
// process looks like to a client) must not stall writes while a majority answers. The phase
// timeout here is as long as the deadline, so a write that waited on the silent acceptor at any
// step would fail: every write completing shows no step waits on it.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PaxosKvClient } from '../src/index.js';
import { acceptors } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function silentAcceptor(): Promise<string> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => void sockets.push(s)); // accepts, never speaks
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  const a = server.address();
  return `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

describe('a silent acceptor does not stall writes (issue 17 item 9)', () => {
  it('12 keys x 3 sets and reads complete with acceptor 2 silent', async () => {
    const c = await acceptors(3);
    cleanups.push(c.stop);
    await c.servers[2]!.close();
    const addrs = [c.addresses[0]!, c.addresses[1]!, await silentAcceptor()];
    const client = new PaxosKvClient({ acceptors: addrs, deadlineMs: 15_000, phaseTimeoutMs: 15_000, link: { callTimeoutMs: 15_000 } });
    cleanups.push(() => client.close());
    for (let k = 0; k < 12; k++) {
      for (let i = 0; i < 3; i++) expect((await client.set(`key${k}`, BigInt(i))).ver).toBe(BigInt(i));
      expect((await client.get(`key${k}`))!.value).toBe(2n);
    }
  }, 120_000);
});

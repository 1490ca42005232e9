// Issue 20 item 9: one client must not grow the server without bound. Commands pipelined
// behind a blocked one (WAIT that cannot be satisfied) stop being read; a client whose
// unprocessed input passes client_query_buffer_limit is closed, and only that client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { freePorts } from '@quorumkit/test-harness';
import { RawClient, startConstdb, type Proc } from './proc.js';
import { fakePeerListener, handshakeAccepted, type FakePeer } from './fakePeer.js';

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function field(info: string, name: string): number {
  const m = new RegExp(`${name}:(\\d+)`).exec(info);
  if (!m) throw new Error(`INFO has no ${name}`);
  return Number(m[1]);
}

async function openSock(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  await new Promise<void>((res) => s.once('connect', () => res()));
  return s;
}

describe('client buffer limits', () => {
  let node: Proc;
  let small: Proc;
  let fake: FakePeer;
  let admin: RawClient;
  beforeAll(async () => {
    const [p1, p2] = await freePorts(2);
    node = await startConstdb(p1!, ['--node-id', '1']);
    small = await startConstdb(p2!, ['--node-id', '2', '--client-query-buffer-limit', String(1024 * 1024)]);
    admin = await RawClient.open(p1!);
    // a verified replica that never acknowledges anything: WAIT 1 0 blocks for good
    fake = await fakePeerListener(5);
    (await handshakeAccepted(p1!, ['5', '127.0.0.1', String(fake.port), '', '0', 'peer5', '-'])).sock.destroy();
  });
  afterAll(async () => {
    admin?.close();
    await fake?.close();
    await node?.stop('SIGKILL');
    await small?.stop('SIGKILL');
  });

  it('commands pipelined behind a blocked WAIT are not read into memory', async () => {
    expect(await admin.call('REPLICAS')).toEqual([['5', `127.0.0.1:${fake.port}`]]);
    const rss0 = rssBytes(node.child.pid!);
    const s = await openSock(node.port);
    s.write('*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n');
    const value = 'x'.repeat(1024);
    const batch = Buffer.from(Array.from({ length: 256 }, (_, i) => `*3\r\n$3\r\nSET\r\n$${String(i).length + 1}\r\nk${i}\r\n$1024\r\n${value}\r\n`).join(''));
    let written = 0;
    const target = 96 * 1024 * 1024;
    while (written < target) {
      written += batch.length;
      if (!s.write(batch)) {
        // the server stops reading: the socket buffers fill and drain never comes
        const drained = await new Promise<boolean>((res) => {
          const t = setTimeout(() => res(false), 1500);
          s.once('drain', () => {
            clearTimeout(t);
            res(true);
          });
        });
        if (!drained) break;
      }
    }
    const info = (await admin.call('INFO', 'clients')) as string;
    expect(field(info, 'blocked_clients')).toBe(1);
    expect(field(info, 'client_recent_max_input_buffer')).toBeLessThan(8 * 1024 * 1024);
    expect(rssBytes(node.child.pid!) - rss0).toBeLessThan(64 * 1024 * 1024);
    expect(await admin.call('EXISTS', 'k1')).toBe(0n);
    s.destroy();
    expect(await admin.call('PING')).toBe('PONG');
  });

  it('a client over client_query_buffer_limit is closed; the others are served', async () => {
    const other = await RawClient.open(small.port);
    const s = await openSock(small.port);
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const closed = new Promise<void>((res) => s.once('close', () => res()));
    s.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n');
    for (let i = 0; i < 24; i++) s.write(Buffer.alloc(64 * 1024, 0x61));
    await Promise.race([closed, new Promise((_, rej) => setTimeout(() => rej(new Error('client was not closed')), 15_000))]);
    expect(got).toMatch(/^-ERR client query buffer limit reached/);
    expect(await other.call('PING')).toBe('PONG');
    expect(await other.call('EXISTS', 'k')).toBe(0n);
    other.close();
  });
});

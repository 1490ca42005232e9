// Issue 20 item 5: one forged CONSTDB.SYNC on the client port (no requirepass) must not add
// a replica: nothing in REPLICAS, nothing persisted, nothing dialled, tombstone GC going on.
// A node becomes a replica only once this node has dialled the address it announced and
// found that id there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '@quorumkit/test-harness';
import { RawClient, startConstdb, tmp, type Proc } from './proc.js';
import { fakePeerListener, handshakeAccepted, handshakeOnce, type FakePeer } from './fakePeer.js';

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const info = async (c: RawClient, field: string): Promise<number> => {
  const m = new RegExp(`${field}:(\\d+)`).exec((await c.call('INFO', 'replication')) as string);
  return m ? Number(m[1]) : -1;
};

describe('forged replication handshakes add no replica', () => {
  let node: Proc;
  let client: RawClient;
  let fake: FakePeer | undefined;
  const dir = tmp();
  beforeAll(async () => {
    const [port] = await freePorts(1);
    node = await startConstdb(port!, ['--node-id', '1', '--gc-interval-ms', '50'], dir);
    client = await RawClient.open(port!);
  });
  afterAll(async () => {
    client?.close();
    await fake?.close();
    await node?.stop('SIGKILL');
  });

  it('a handshake naming a dead address: refused, never listed, never persisted; GC goes on', async () => {
    const [deadPort] = await freePorts(1);
    const h = await handshakeOnce(node.port, ['77', '127.0.0.1', String(deadPort), '', '0', 'phantom', '-']);
    h.sock.destroy();
    expect(h.line).not.toMatch(/^\+SYNC/);
    expect(h.line).toMatch(/^-PENDING/);
    await until(async () => (await info(client, 'replicas_refused_unverified')) >= 1, 'verification to fail');
    expect(await client.call('REPLICAS')).toEqual([]);
    expect(await info(client, 'known_replicas')).toBe(0);
    const peersFile = join(dir, 'constdb.peers');
    if (existsSync(peersFile)) expect(readFileSync(peersFile, 'latin1')).not.toMatch(/"id":77/);
    // tombstones are still collected (no phantom replica holds them back)
    await client.call('SADD', 'g', 'a', 'b');
    await client.call('SREM', 'g', 'a');
    await client.call('SAVE');
    await until(async () => (await info(client, 'known_replicas')) === 0 && /tombstones_collected:[1-9]/.test((await client.call('INFO')) as string), 'tombstone GC');
  });

  it('a handshake claiming an id at the address of another node (here: this node) is refused', async () => {
    const h = await handshakeOnce(node.port, ['78', '127.0.0.1', String(node.port), '', '0', 'liar', '-']);
    h.sock.destroy();
    expect(h.line).toMatch(/^-PENDING/);
    await until(async () => (await info(client, 'replicas_refused_unverified')) >= 2, 'verification to fail');
    expect(await client.call('REPLICAS')).toEqual([]);
  });

  it('a node that answers at its announced address is verified, then accepted', async () => {
    fake = await fakePeerListener(5);
    const h = await handshakeAccepted(node.port, ['5', '127.0.0.1', String(fake.port), '', '0', 'peer5', '-']);
    h.sock.destroy();
    expect(h.line).toMatch(/^\+SYNC 1 /);
    expect(fake.probes).toBeGreaterThanOrEqual(1);
    expect(await client.call('REPLICAS')).toEqual([['5', `127.0.0.1:${fake.port}`]]);
  });
});

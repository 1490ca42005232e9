// Issue 17 item 1, on real files: an acceptor whose disk was damaged or lost must not come
// back with amnesia. Each case damages acceptor 0's directory after it acknowledged a vote
// (key k) and a promise (key q at ballot (50,5)), restarts it, and checks that it starts
// RECOVERING, votes for nothing until it re-learned from a majority of the others, and then
// holds the vote again and refuses the lower ballot it had promised against.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import { waitFor } from '@quorumkit/test-harness';
import {
  type AcceptorServer,
  LinkTransport,
  PROTO_PATH,
  PaxosKvClient,
  Proposer,
  SERVICE_NAME,
  ballot,
  ballotGE,
  serveAcceptors,
  startAcceptor,
} from '../src/index.js';
import { SLOW_OK } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function walFile(db: string): Promise<string> {
  const logs = (await readdir(db)).filter((f) => f.endsWith('.log'));
  expect(logs.length).toBeGreaterThan(0);
  return join(db, logs.sort().at(-1)!);
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const damages: Record<string, (dir: string) => Promise<void>> = {
  'a flipped byte in an instance record': async (dir) => {
    const wal = await walFile(join(dir, 'db'));
    const bytes = new Uint8Array(await readFile(wal));
    // the inst keyspace's record for key k: find the keyspace name, then flip a byte after it
    const at = indexOfBytes(bytes, new TextEncoder().encode('inst'));
    expect(at).toBeGreaterThanOrEqual(0);
    bytes[at + 12] = bytes[at + 12]! ^ 0x01;
    await writeFile(wal, bytes);
  },
  'one flipped bit in the WAL': async (dir) => {
    const wal = await walFile(join(dir, 'db'));
    const bytes = new Uint8Array(await readFile(wal));
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = bytes[mid]! ^ 0x10;
    await writeFile(wal, bytes);
  },
  'the WAL truncated mid-record': async (dir) => {
    const wal = await walFile(join(dir, 'db'));
    const len = (await readFile(wal)).length;
    await truncate(wal, Math.floor(len / 2) + 3);
  },
  'CURRENT deleted': async (dir) => {
    await unlink(join(dir, 'db', 'CURRENT'));
  },
  'the whole directory wiped': async (dir) => {
    await rm(dir, { recursive: true, force: true });
  },
};

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'paxoskv-loss-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  let servers: AcceptorServer[] = await serveAcceptors(3, { basePort: 0, data: root });
  cleanups.push(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
  });
  const addrs = servers.map((s) => s.address);
  const client = new PaxosKvClient({ acceptors: addrs, deadlineMs: 60_000, phaseTimeoutMs: 20_000, thrifty: false });
  cleanups.push(() => client.close());
  await client.set('k', 'hello');
  const prop = new Proposer(new LinkTransport(client.links), { key: 'q', ver: 0n }, ballot(50, 5), SLOW_OK);
  expect((await prop.phase1([0, 1, 2], 3)).err).toBeNull();
  return {
    root,
    addrs,
    client,
    get servers() {
      return servers;
    },
    set(i: number, s: AcceptorServer) {
      servers = servers.map((x, j) => (j === i ? s : x));
    },
  };
}

describe('an acceptor whose disk was damaged or lost never votes with amnesia (issue 17 item 1)', () => {
  for (const [what, damage] of Object.entries(damages)) {
    it(`${what}: restarts RECOVERING, re-learns, then keeps the vote and the promise`, async () => {
      const c = await setup();
      await c.servers[0]!.close();
      const dir = join(c.root, 'acceptor0');
      await damage(dir);
      const a0 = await startAcceptor({ id: 0, address: c.addrs[0], data: dir, peers: c.addrs });
      c.set(0, a0);
      expect(a0.startMessage).toMatch(/RECOVERING/);
      await a0.recovered;
      expect(a0.mode()).toBe('voting');
      const k = await a0.store.read({ key: 'k', ver: 0n });
      expect(k.val && new TextDecoder().decode(k.val.bytes)).toBe('hello');
      // the promise at (50,5) holds on acceptor 0 alone: a lower ballot is refused there
      const low = new Proposer(new LinkTransport([c.client.links[0]!]), { key: 'q', ver: 0n }, ballot(49, 6), SLOW_OK);
      const r = await low.phase1([0], 1);
      expect(r.err).not.toBeNull();
      expect(a0.store.floor && ballotGE(a0.store.floor, ballot(50, 5))).toBe(true);
      expect((await c.client.get('k'))!.value).toBe('hello');
    }, 120_000);
  }

  it('votes for nothing while it cannot re-learn (the others down): RECOVERING error', async () => {
    const c = await setup();
    await Promise.all(c.servers.map((s) => s.close()));
    const dir = join(c.root, 'acceptor0');
    await rm(dir, { recursive: true, force: true });
    const a0 = await startAcceptor({ id: 0, address: c.addrs[0], data: dir, peers: c.addrs });
    c.set(0, a0);
    expect(a0.mode()).toBe('recovering');
    const g = createGrpcClient(PROTO_PATH, SERVICE_NAME, c.addrs[0]!);
    cleanups.push(() => g.close());
    const req = { Id: { Key: 'k', Ver: '1' }, Bal: { N: '99', ProposerId: '1' }, ClusterId: 'paxoskv', Members: 3 };
    await expect(callUnary(g, 'Prepare', req, { deadlineMs: 10_000 })).rejects.toMatchObject({ code: 'ERECOVERING' });
    await expect(callUnary(g, 'Accept', { ...req, Val: { Vi64: '1' } }, { deadlineMs: 10_000 })).rejects.toMatchObject({ code: 'ERECOVERING' });
    // a blank directory with a wiped peer set does not bootstrap itself
    expect(existsSync(join(dir, 'IDENTITY'))).toBe(true);
    // the others come back: acceptor 0 re-learns and votes
    for (const i of [1, 2]) c.set(i, await startAcceptor({ id: i, address: c.addrs[i], data: join(c.root, `acceptor${i}`), peers: c.addrs }));
    await waitFor(() => a0.mode() === 'voting', { timeoutMs: 60_000, what: 'acceptor 0 recovered' });
    const k = await a0.store.read({ key: 'k', ver: 0n });
    expect(new TextDecoder().decode(k.val!.bytes)).toBe('hello');
  }, 120_000);
});

// Issue 19 item 6: persistence is O(1) per allocation (an append-only checksummed log,
// compacted when it grows), a torn tail left by a crash mid-append is discarded, damage
// before the tail makes the file unusable (moved aside), the disk stays bounded, and the
// number of names is capped with a clear error.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import { writeFileAtomic } from '@quorumkit/shared-storage';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RRServer, rrSeqProtoPath, type RRServerOptions } from '../src/index.js';
import { startLocalCluster, waitUntil } from './helpers/cluster.js';

let dir = '';
const closers: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rrseq-log-'));
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

/** A formed one-server cluster on a persist file, and a raw gRPC client to it. */
async function single(path: string, opts: Partial<RRServerOptions> = {}): Promise<{ server: RRServer; client: grpc.Client }> {
  const c = await startLocalCluster(1, { paths: [path], ...opts });
  const server = c.servers[0]!;
  closers.push(() => server.close());
  const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', c.addrs[0]!);
  closers.push(() => client.close());
  return { server, client };
}

async function restart(addr: string, path: string, opts: Partial<RRServerOptions> = {}, waitReady = true): Promise<{ server: RRServer; client: grpc.Client }> {
  const server = await RRServer.start({ addr, path, peers: [], ...opts });
  closers.push(() => server.close());
  const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', addr);
  closers.push(() => client.close());
  if (waitReady) await waitUntil(() => server.ready, 20_000, 'the restarted server to serve');
  return { server, client };
}

function nextId(client: grpc.Client, name: string, rangeSize: number): Promise<{ fromId: string; toId: string }> {
  return callUnary(client, 'GRPCNextID', { name, rangeSize: String(rangeSize) }, { deadlineMs: 10_000 });
}

function curId(client: grpc.Client, name: string): Promise<bigint> {
  return callUnary<unknown, { curId: string }>(client, 'GRPCCurID', { name }, { deadlineMs: 10_000 }).then((r) => BigInt(r.curId));
}

async function setMany(client: grpc.Client, names: number): Promise<void> {
  for (let base = 0; base < names; base += 200) {
    const chunk = Array.from({ length: Math.min(200, names - base) }, (_, i) => base + i);
    const ok = await Promise.all(chunk.map((i) => callUnary<unknown, { success: boolean }>(client, 'GRPCSetID', { name: `name-${i}`, newId: String(1000 + i) }, { deadlineMs: 20_000 })));
    expect(ok.every((r) => r.success)).toBe(true);
  }
}

async function corruptFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('.corrupt-'));
}

describe('the persist file is an append-only log', () => {
  it('an allocation appends one small record: with 2,000 names nothing is rewritten', async () => {
    const path = join(dir, 'p');
    const { client } = await single(path);
    await setMany(client, 2_000);
    const before = await readFile(path);
    const st0 = await stat(path);
    for (const name of ['name-7', 'a-new-name']) {
      const prev = await readFile(path);
      const r = await nextId(client, name, 1);
      expect(BigInt(r.toId) - BigInt(r.fromId)).toBe(1n);
      const now = await readFile(path);
      const st = await stat(path);
      expect(st.ino).toBe(st0.ino);
      expect(now.subarray(0, prev.length).equals(prev)).toBe(true);
      expect(now.length - prev.length).toBeGreaterThan(0);
      expect(now.length - prev.length).toBeLessThan(512);
    }
    expect(before.length).toBeGreaterThan(2_000 * 10);
  }, 90_000);

  it('a file deleted under the running server is rewritten whole once the periodic check notices, with every name', async () => {
    const path = join(dir, 'serv_persist');
    const { server, client } = await single(path, { statIntervalMs: 50 });
    expect(await nextId(client, 'a', 5)).toEqual({ fromId: '1', toId: '6' });
    expect(await nextId(client, 'b', 3)).toEqual({ fromId: '1', toId: '4' });
    await rm(path);
    // Commits go on; one after the check notices the path is gone compacts into a new file.
    const end = Date.now() + 20_000;
    let c = 0;
    while (!(await stat(path).catch(() => undefined)) && Date.now() < end) {
      await nextId(client, 'c', 1);
      c++;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(c).toBeGreaterThan(0);
    const addr = server.addr();
    await server.close();
    const again = await restart(addr, path);
    expect(await curId(again.client, 'a')).toBe(6n);
    expect(await curId(again.client, 'b')).toBe(4n);
    expect(await curId(again.client, 'c')).toBe(BigInt(1 + c));
  }, 60_000);

  it('a torn record at the tail (a crash mid-append) is discarded: the state before it is loaded, nothing moved aside', async () => {
    const path = join(dir, 'p');
    const { server, client } = await single(path);
    const addr = server.addr();
    for (let i = 0; i < 3; i++) await nextId(client, 'seq', 10);
    const durable = await readFile(path);
    await nextId(client, 'seq', 10);
    const full = await readFile(path);
    expect(full.subarray(0, durable.length).equals(durable)).toBe(true);
    const record = full.subarray(durable.length);
    for (const c of closers.splice(0).reverse()) await c();
    for (const tail of [record.subarray(0, Math.floor(record.length / 2)), record.subarray(0, 3), Buffer.alloc(record.length), Buffer.concat([record.subarray(0, record.length - 1), Buffer.from([record[record.length - 1]! ^ 0xff])])]) {
      await writeFile(path, Buffer.concat([durable, tail]));
      const again = await restart(addr, path);
      expect(await corruptFiles()).toEqual([]);
      expect(again.server.ready).toBe(true);
      expect(await curId(again.client, 'seq')).toBe(31n);
      const r = await nextId(again.client, 'seq', 1);
      expect(BigInt(r.fromId)).toBeGreaterThanOrEqual(31n);
      for (const c of closers.splice(0).reverse()) await c();
    }
  }, 90_000);

  it('a damaged record followed by intact ones makes the file unusable: moved aside, the server recovers instead of serving', async () => {
    const path = join(dir, 'p');
    const { server, client } = await single(path);
    const addr = server.addr();
    await nextId(client, 'seq', 10);
    const a = (await readFile(path)).length;
    await nextId(client, 'seq', 10);
    const b = (await readFile(path)).length;
    await nextId(client, 'seq', 10);
    for (const c of closers.splice(0).reverse()) await c();
    const good = await readFile(path);
    // A flipped byte inside the middle record, then a damaged length field of that record.
    for (const at of [a + Math.floor((b - a) / 2), a]) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x5a;
      await writeFile(path, bad);
      const again = await restart(addr, path, {}, false);
      const aside = await corruptFiles();
      expect(aside).toHaveLength(1);
      expect(await readFile(join(dir, aside[0]!))).toEqual(bad);
      // It lost its state and has no peer to recover from: it serves nothing.
      await expect(curId(again.client, 'seq')).rejects.toThrow(/recovering/);
      expect(again.server.ready).toBe(false);
      for (const c of closers.splice(0).reverse()) await c();
      await rm(join(dir, aside[0]!));
      await rm(`${path}.identity`, { recursive: true, force: true });
    }
  }, 90_000);

  it('stays bounded: the log is compacted as it grows, and the compacted file reloads', async () => {
    const path = join(dir, 'p');
    const opts = { compactBytesMin: 4_096 };
    const { server, client } = await single(path, opts);
    const addr = server.addr();
    let largest = 0;
    let to = 0n;
    for (let i = 0; i < 300; i++) {
      to = BigInt((await nextId(client, `n${i % 5}`, 3)).toId);
      largest = Math.max(largest, (await stat(path)).size);
    }
    expect(largest).toBeLessThan(4_096 + 2_048);
    for (const c of closers.splice(0).reverse()) await c();
    const again = await restart(addr, path, opts);
    expect(again.server.ready).toBe(true);
    expect(await curId(again.client, 'n4')).toBe(to);
  }, 90_000);

  it('a state file written by the previous format (one framed snapshot) still loads', async () => {
    const path = join(dir, 'p');
    const doc = { v: 2, incarnation: 'abc', boot: 3, fence: 0, ready: true, cluster: 'old', blank: false, floor: '1', values: [['seq', '77']] };
    await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(doc)));
    const { ports } = { ports: await (await import('@quorumkit/test-harness')).freePorts(1) };
    const again = await restart(`127.0.0.1:${ports[0]}`, path);
    expect(again.server.ready).toBe(true);
    expect(await curId(again.client, 'seq')).toBe(77n);
    expect(BigInt((await nextId(again.client, 'seq', 1)).fromId)).toBe(77n);
  }, 60_000);
});

describe('the number of names is capped', () => {
  it('a new name beyond namesMax is refused with ENAMESQUOTA; known names still work', async () => {
    const path = join(dir, 'p');
    const { server, client } = await single(path, { namesMax: 20 });
    for (let i = 0; i < 20; i++) await nextId(client, `q${i}`, 1);
    await expect(nextId(client, 'one-too-many', 1)).rejects.toThrow(/ENAMESQUOTA/);
    const set = await callUnary<unknown, { success: boolean }>(client, 'GRPCSetID', { name: 'another', newId: '9' }, { deadlineMs: 10_000 });
    expect(set.success).toBe(false);
    expect(BigInt((await nextId(client, 'q3', 1)).fromId)).toBe(2n);
    await waitUntil(() => server.ready, 5_000, 'still serving');
  }, 60_000);
});

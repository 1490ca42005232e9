// The engine end to end in one process (memory or on-disk stores, in-process transport):
// writes, reads, turn errors, uuid dedup across restarts, group commit, catch-up and GetAll
// after a replica loses its stores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Certain, LevelDb, TurnError, DupUuidError, PendingError, RecoveringError, type ApplyFn } from '../src/index.js';
import { LocalNet } from './localNet.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
// value = "key=value"; apply puts it in the entity
const apply: ApplyFn = (_e, _entry, value, tx) => {
  const [k, v] = dec.decode(value).split('=');
  tx.put(enc.encode(k!), enc.encode(v!));
};

const live: Certain[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.allSettled(live.splice(0).map((c) => c.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replica(net: LevelNetOpts, id: number, opts: Partial<Certain['tuning']> = {}, bootstrap = true): Promise<Certain> {
  const c = new Certain({
    acceptorId: id, acceptorNum: net.n, path: net.dir, apply, bootstrap,
    transport: net.net.transportFor(id),
    options: { cmdTimeoutMs: 20_000, retryMsBase: 30, tickMs: 20, ...opts },
  });
  await c.start();
  live.push(c);
  return c;
}

interface LevelNetOpts { n: number; dir: string; net: LocalNet }
function cluster(n = 3): LevelNetOpts {
  const dir = mkdtempSync(join(tmpdir(), 'certain-engine-'));
  dirs.push(dir);
  return { n, dir, net: new LocalNet() };
}

async function get(c: Certain, e: bigint, k: string): Promise<string | undefined> {
  await c.read(e);
  const v = await c.db.get(e, enc.encode(k));
  return v ? dec.decode(v) : undefined;
}

async function waitRecovered(c: Certain): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (c.recovering && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(c.recovering).toBe(false);
}

async function untilNotPending<T>(f: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (!(err instanceof PendingError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('engine', () => {
  it('writes on one replica are read linearizably on another; wrong turn is a TurnError', async () => {
    const cl = cluster();
    const rs: Certain[] = [];
    for (let i = 0; i < 3; i++) rs.push(await replica(cl, i));
    await rs[0]!.write(5n, 1n, enc.encode('a=1'));
    // replica 1 may learn that entry 1 is chosen a moment after replica 0 (its own accept must
    // be durable and replica 0's announced): a read barrier makes it know
    // (under load a probe can stall past retryMsBase and the read choose a no-op as entry 2:
    // the barrier is then at 2, which is as linearizable; seen at load average 17)
    const upTo = await rs[1]!.read(5n);
    expect(upTo === 1n || upTo === 2n).toBe(true);
    await rs[1]!.write(5n, upTo + 1n, enc.encode('a=2'));
    // replica 2's own barrier may likewise choose one no-op after a=2
    const upTo2 = await rs[2]!.read(5n);
    expect(upTo2 === upTo + 1n || upTo2 === upTo + 2n).toBe(true);
    expect(dec.decode((await rs[2]!.db.get(5n, enc.encode('a')))!)).toBe('2');
    await expect(rs[0]!.write(5n, 1n, enc.encode('a=3'))).rejects.toBeInstanceOf(TurnError);
    expect(await rs[2]!.replay(5n)).toBe(upTo2);
  });

  it('uuid dedup survives a restart', async () => {
    const cl = cluster();
    const rs: Certain[] = [];
    for (let i = 0; i < 3; i++) rs.push(await replica(cl, i));
    await rs[0]!.write(9n, 1n, enc.encode('x=1'), [777n]);
    await rs[0]!.stop();
    live.splice(live.indexOf(rs[0]!), 1);
    const again = await replica(cl, 0);
    expect(await again.exists(9n, 777n)).toBe(true);
    await expect(again.write(9n, 2n, enc.encode('x=2'), [777n])).rejects.toBeInstanceOf(DupUuidError);
  });

  it('group commit: concurrent writes on many entities share fsyncs', async () => {
    const cl = cluster();
    const rs: Certain[] = [];
    for (let i = 0; i < 3; i++) rs.push(await replica(cl, i, { cmdTimeoutMs: 60_000 }));
    const before = rs[0]!.plog.syncCount;
    await Promise.all(Array.from({ length: 200 }, (_, i) => rs[0]!.write(BigInt(1000 + i), 1n, enc.encode(`k=${i}`))));
    const syncs = rs[0]!.plog.syncCount - before;
    // 200 chosen entries of >= 2 records each would take >= 400 syncs without group commit
    expect(syncs).toBeLessThan(200);
    expect(rs[0]!.metrics.chosen).toBeGreaterThanOrEqual(200);
  }, 120_000);

  it('a replica whose logdb and datadb are deleted recovers via catch-up, and via GetAll once plogs expired', async () => {
    const cl = cluster();
    const rs: Certain[] = [];
    for (let i = 0; i < 3; i++) rs.push(await replica(cl, i, { plogExpireTimeMs: 0, getAllPageBytes: 64 }));
    for (let k = 1n; k <= 5n; k++) await rs[0]!.write(1n, k, enc.encode(`c${k}=${k}`));
    await rs[0]!.write(2n, 1n, enc.encode('only=one'));
    // replica 2 goes down and loses everything
    await rs[2]!.stop();
    live.splice(live.indexOf(rs[2]!), 1);
    rmSync(join(cl.dir, 'logdb_2'), { recursive: true });
    rmSync(join(cl.dir, 'datadb_2'), { recursive: true });
    // entity 1: peers' plogs still hold entries -> catch-up. entity 2: expire peers' plogs -> GetAll.
    for (const r of [rs[0]!, rs[1]!]) {
      await r.replay(2n);
      await r.write(3n, 1n, enc.encode('z=z')).catch(() => undefined);
    }
    await rs[0]!.replay(1n);
    await rs[1]!.replay(1n);
    await rs[0]!.expireNow();
    await rs[1]!.expireNow();
    // entity 1 entries up to 4 expired too (kept: the newest chosen). Write more so entity 1 has fresh entries.
    // no bootstrap: a replica that lost its disk recovers (learns) before it votes or serves
    const r2 = await replica(cl, 2, { plogExpireTimeMs: 0, getAllPageBytes: 64 }, false);
    expect(r2.recovering).toBe(true);
    await expect(r2.read(1n)).rejects.toBeInstanceOf(RecoveringError);
    await waitRecovered(r2);
    for (let k = 1; k <= 5; k++) expect(await get(r2, 1n, `c${k}`)).toBe(String(k));
    expect(await get(r2, 2n, 'only')).toBe('one');
    expect(r2.metrics.getAlls).toBeGreaterThan(0);
    // entity 3's only entry is the newest chosen one, never expired: plain catch-up
    const getAllsBefore = r2.metrics.getAlls;
    expect(await get(r2, 3n, 'z')).toBe('z');
    expect(r2.metrics.getAlls).toBe(getAllsBefore);
    expect(r2.metrics.catchUpsSent).toBeGreaterThan(0);
    // and it takes part in new writes afterwards, at the entry after its reads' barriers:
    // under load each of the five reads of entity 1 above may have chosen one no-op
    const last = await r2.maxChosen(1n);
    expect(last >= 5n && last <= 10n).toBe(true);
    await r2.write(1n, last + 1n, enc.encode('c6=6'));
    expect(await get(rs[1]!, 1n, 'c6')).toBe('6');
  });

  it('an interrupted GetAll (flag set, data cleared) resumes on restart', async () => {
    const cl = cluster();
    const rs: Certain[] = [];
    for (let i = 0; i < 3; i++) rs.push(await replica(cl, i, { plogExpireTimeMs: 0 }));
    for (let k = 1n; k <= 3n; k++) await rs[1]!.write(4n, k, enc.encode(`k${k}=v${k}`));
    // with plogExpireTimeMs 0 a replica one entry behind may be sent to GetAll: wait it out
    await untilNotPending(() => rs[2]!.read(4n));
    await rs[0]!.stop();
    live.splice(live.indexOf(rs[0]!), 1);
    // simulate a crash right after the flag was written and part of the data was cleared
    const db = await LevelDb.open(join(cl.dir, 'datadb_0'), apply);
    await db.beginGetAll(4n);
    await db.close();
    const r0 = await replica(cl, 0, { plogExpireTimeMs: 0 });
    // commands get PendingError until the copy is done
    const deadline = Date.now() + 20_000;
    let got: string | undefined;
    while (Date.now() < deadline) {
      try {
        got = await get(r0, 4n, 'k3');
        break;
      } catch (err) {
        expect(err).toBeInstanceOf(PendingError);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(got).toBe('v3');
    expect(await r0.db.pendingGetAll()).toEqual([]);
  });

  it('the uuid dedup index travels with GetAll: a replayed uuid is refused on the recovered replica (issue 16 item 3)', async () => {
    const cl = cluster();
    const rs: Certain[] = [];
    for (let i = 0; i < 3; i++) rs.push(await replica(cl, i, { plogExpireTimeMs: 0 }));
    await rs[0]!.write(9n, 1n, enc.encode('b=61'), [777n]);
    for (let k = 2n; k <= 4n; k++) await rs[0]!.write(9n, k, enc.encode(`x${k}=1`));
    await rs[2]!.stop();
    live.splice(live.indexOf(rs[2]!), 1);
    rmSync(join(cl.dir, 'logdb_2'), { recursive: true });
    rmSync(join(cl.dir, 'datadb_2'), { recursive: true });
    for (const r of [rs[0]!, rs[1]!]) {
      await untilNotPending(() => r.replay(9n));
      await r.expireNow(); // entries 1-3 leave the plogs: replica 2 must GetAll
    }
    const r2 = await replica(cl, 2, { plogExpireTimeMs: 0 }, false);
    await waitRecovered(r2);
    expect(await untilNotPending(() => get(r2, 9n, 'b'))).toBe('61');
    expect(r2.metrics.getAlls).toBeGreaterThan(0);
    expect(await r2.exists(9n, 777n)).toBe(true);
    const next = (await r2.maxChosen(9n)) + 1n;
    await expect(r2.write(9n, next, enc.encode('b=71'), [777n])).rejects.toBeInstanceOf(DupUuidError);
  });
});

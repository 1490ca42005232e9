// Issue 21 step 1: the uuids chosen within the dedup window are held in memory, so a fresh
// request's uuid costs no storage read; at-most-once stays exact: a uuid chosen before a
// restart (found only in the plog, or only in the data store) is in the window after it, and
// over the window's cap lookups fall back to the stores' indexes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Certain, DupUuidError, LevelPlog, type ApplyFn } from '../src/index.js';
import { UuidWindow } from '../src/engine/uuidWindow.js';
import { engineScratch, singleReplicaTransport } from './helpers/singleReplica.js';

const enc = new TextEncoder();
const apply: ApplyFn = (_e, _entry, value, tx) => tx.put(enc.encode('k'), value);
const { tempDir, started, stop } = engineScratch();

async function start(dir: string, opts: Partial<Certain['tuning']> = {}): Promise<Certain> {
  return started(new Certain({ acceptorId: 0, acceptorNum: 1, path: dir, apply, bootstrap: true, transport: singleReplicaTransport, options: { cmdTimeoutMs: 30_000, ...opts } }));
}

/** Count the uuid index reads of both stores from now on. */
function countReads(c: Certain): { n: number } {
  const count = { n: 0 };
  const plog = c.plog;
  const hasUuid = plog.hasUuid.bind(plog);
  plog.hasUuid = (...a) => {
    count.n++;
    return hasUuid(...a);
  };
  const db = c.db;
  const uuidRow = db.uuidRow!.bind(db);
  db.uuidRow = (...a) => {
    count.n++;
    return uuidRow(...a);
  };
  return count;
}

function tmp(): string {
  const d = tempDir('certain-uuidwin-');
  return d;
}

describe('the in-memory uuid window (issue 21 step 1)', () => {
  it('a fresh uuid is answered without a read; a chosen one is read (the stored reply)', async () => {
    const c = await start(tmp());
    await c.write(1n, 1n, enc.encode('a'), [11n]);
    const reads = countReads(c);
    expect(await c.uuidReply(1n, 12n)).toBeUndefined();
    expect(await c.exists(1n, 12n)).toBe(false);
    expect(await c.exists(2n, 11n)).toBe(false); // the same uuid on another entity
    expect(reads.n).toBe(0);
    expect(c.uuidWindowStats.known).toBeGreaterThanOrEqual(3);
    const maybe = c.uuidWindowStats.maybe;
    expect(await c.exists(1n, 11n)).toBe(true);
    expect(c.uuidWindowStats.maybe).toBe(maybe + 1); // a hit: answered by the stores' indexes
    await expect(c.write(1n, 2n, enc.encode('b'), [11n])).rejects.toBeInstanceOf(DupUuidError);
  }, 60_000);

  it('a uuid chosen before a restart, held only by the plog, is in the window after it', async () => {
    const dir = tmp();
    // applyDelayMs: nothing is applied in the background, so only the plog has the uuid
    let c = await start(dir, { applyDelayMs: 600_000 });
    await c.write(1n, 1n, enc.encode('a'), [21n]);
    expect(c.maxCommitted(1n)).toBe(0n);
    await stop(c);
    c = await start(dir, { applyDelayMs: 600_000 });
    expect(await c.db.hasUuid!(1n, 21n, 0)).toBe(false);
    expect(await c.exists(1n, 21n)).toBe(true);
    expect(await c.uuidReply(1n, 21n)).toEqual({ applied: false });
    await expect(c.write(1n, 2n, enc.encode('b'), [21n])).rejects.toBeInstanceOf(DupUuidError);
  }, 60_000);

  it('a uuid chosen before a restart, held only by the data store, is in the window after it', async () => {
    const dir = tmp();
    let c = await start(dir);
    await c.write(1n, 1n, enc.encode('a'), [31n]);
    expect(await c.replay(1n)).toBe(1n);
    await stop(c);
    // the plog's uuid rows go (as a GetAll leaves them: the copy brings the data store's only)
    const plog = await LevelPlog.open(join(dir, 'logdb_0'));
    await plog.expireUuids(Date.now() + 3_600_000);
    expect(await plog.hasUuid(1n, 31n, 0)).toBe(false);
    await plog.close();
    c = await start(dir);
    expect(await c.exists(1n, 31n)).toBe(true);
    expect((await c.uuidReply(1n, 31n))?.applied).toBe(true);
    await expect(c.write(1n, 2n, enc.encode('b'), [31n])).rejects.toBeInstanceOf(DupUuidError);
  }, 60_000);

  it('over its cap the window falls back to the stores: an evicted uuid is still refused', async () => {
    const c = await start(tmp(), { uuidWindowEntriesMax: 4 });
    for (let k = 1n; k <= 10n; k++) await c.write(1n, k, enc.encode('v'), [100n + k]);
    expect(c.uuidWindowStats.evicted).toBeGreaterThan(0);
    const fallbacks = c.uuidWindowStats.fallbacks;
    expect(await c.exists(1n, 101n)).toBe(true);
    await expect(c.write(1n, 11n, enc.encode('v'), [101n])).rejects.toBeInstanceOf(DupUuidError);
    expect(c.uuidWindowStats.fallbacks).toBeGreaterThan(fallbacks);
  }, 60_000);
});

describe('UuidWindow', () => {
  it('holds a uuid for the window (plus slack), then forgets it', () => {
    const w = new UuidWindow({ windowMs: 1000, entriesMax: 100, slackMs: 100 });
    w.add(1n, 5n, 0, 0);
    expect(w.knownFresh(1n, 5n, 500)).toBe(false);
    expect(w.knownFresh(1n, 6n, 500)).toBe(true);
    expect(w.knownFresh(2n, 5n, 500)).toBe(true);
    expect(w.knownFresh(1n, 5n, 1100)).toBe(false);
    expect(w.knownFresh(1n, 5n, 1101)).toBe(true);
    expect(w.size).toBe(0);
  });

  it('a uuid added twice stays until its second entry expires', () => {
    const w = new UuidWindow({ windowMs: 1000, entriesMax: 100, slackMs: 0 });
    w.add(1n, 5n, 0, 0);
    w.add(1n, 5n, 800, 800);
    expect(w.knownFresh(1n, 5n, 1500)).toBe(false);
    expect(w.knownFresh(1n, 5n, 1801)).toBe(true);
  });

  it('evicting over the cap makes every lookup "maybe" until the evicted ones would have expired', () => {
    const w = new UuidWindow({ windowMs: 1000, entriesMax: 2, slackMs: 0 });
    w.add(1n, 1n, 0, 0);
    w.add(1n, 2n, 10, 10);
    w.add(1n, 3n, 20, 20); // evicts uuid 1 (chosen at 0)
    expect(w.stats.evicted).toBe(1);
    expect(w.knownFresh(1n, 1n, 30)).toBe(false);
    expect(w.knownFresh(1n, 99n, 30)).toBe(false);
    expect(w.stats.fallbacks).toBe(2);
    expect(w.knownFresh(1n, 99n, 1001)).toBe(true);
  });

  it('grows past its initial ring and keeps every uuid', () => {
    const w = new UuidWindow({ windowMs: 1e9, entriesMax: 10_000 });
    for (let k = 0n; k < 5000n; k++) w.add(7n, k * 7919n, 0, 0);
    expect(w.size).toBe(5000);
    for (let k = 0n; k < 5000n; k++) expect(w.knownFresh(7n, k * 7919n, 1)).toBe(false);
  });
});

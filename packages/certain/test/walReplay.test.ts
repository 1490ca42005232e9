// The data store is written without fsync (dataStoreSync false, the default); the synced plog
// is its write-ahead log (issue 21). Checked here: a data store that lost its unsynced tail
// (what a power loss does; simulated by putting back a copy taken earlier) is replayed from
// the plog above its maxCommitted, with every acknowledged write; plog expiry never deletes
// an entry before a data-store checkpoint made its apply durable; applies cost no fsync.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Certain, LevelDb, type ApplyFn } from '../src/index.js';
import { LocalNet } from './localNet.js';
import { engineScratch } from './helpers/singleReplica.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const apply: ApplyFn = (_e, _entry, value, tx) => tx.put(enc.encode('k'), value);
const { tempDir, started, stop } = engineScratch();

function setup(): { dir: string; net: LocalNet } {
  const dir = tempDir('certain-wal-');
  return { dir, net: new LocalNet() };
}

async function start(s: { dir: string; net: LocalNet }, id: number, opts: Partial<Certain['tuning']> = {}): Promise<Certain> {
  return started(new Certain({
    acceptorId: id, acceptorNum: 3, path: s.dir, apply, bootstrap: true, transport: s.net.transportFor(id),
    options: { cmdTimeoutMs: 20_000, retryMsBase: 30, tickMs: 20, ...opts },
  }));
}

async function until(f: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const E = 5n;

describe('the plog is the data store\'s write-ahead log', () => {
  it('a data store that lost its unsynced tail is replayed from the plog above its maxCommitted', async () => {
    const s = setup();
    const rs = [await start(s, 0), await start(s, 1), await start(s, 2)];
    for (let k = 1n; k <= 3n; k++) await rs[0]!.write(E, k, enc.encode(`v${k}`));
    await until(() => rs[0]!.maxCommitted(E) === 3n, 'entries 1-3 applied');
    await stop(rs[0]!);
    const copy = join(s.dir, 'datadb_0.at-3');
    cpSync(join(s.dir, 'datadb_0'), copy, { recursive: true });
    rs[0] = await start(s, 0);
    for (let k = 4n; k <= 6n; k++) await rs[0]!.write(E, k, enc.encode(`v${k}`));
    await until(() => rs[0]!.maxCommitted(E) === 6n, 'entries 4-6 applied');
    await stop(rs[0]!);
    // the crash: the data store comes back as it was at entry 3; the synced plog holds 4-6
    rmSync(join(s.dir, 'datadb_0'), { recursive: true, force: true });
    cpSync(copy, join(s.dir, 'datadb_0'), { recursive: true });
    s.net.down.add(1); // no help from the peers: the local plog alone must restore it
    s.net.down.add(2);
    rs[0] = await start(s, 0);
    expect(await rs[0]!.db.maxCommitted(E)).toBe(3n);
    expect(await rs[0]!.maxChosen(E)).toBe(6n);
    expect(await rs[0]!.replay(E)).toBe(6n);
    expect(dec.decode((await rs[0]!.db.get(E, enc.encode('k')))!)).toBe('v6');
    expect(await rs[0]!.db.maxCommitted(E)).toBe(6n);
  }, 120_000);

  it('plog expiry runs only after a data-store checkpoint, and applies cost no data-store fsync', async () => {
    const s = setup();
    const rs = [await start(s, 0, { plogExpireTimeMs: 0 }), await start(s, 1), await start(s, 2)];
    const db = rs[0]!.db as LevelDb;
    const syncsBefore = db.syncCount;
    for (let k = 1n; k <= 5n; k++) await rs[0]!.write(E, k, enc.encode(`v${k}`));
    await until(() => rs[0]!.maxCommitted(E) === 5n, 'entries applied');
    expect(db.syncCount).toBe(syncsBefore); // five applies, no fsync of the data store
    const seen: number[] = [];
    const plog = rs[0]!.plog;
    const expire = plog.expire.bind(plog);
    plog.expire = (entityId, upTo, before) => {
      seen.push(db.checkpoints);
      return expire(entityId, upTo, before);
    };
    const ckptBefore = db.checkpoints;
    await rs[0]!.expireNow();
    expect(rs[0]!.metrics.expired).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
    for (const n of seen) expect(n).toBeGreaterThan(ckptBefore);
  }, 120_000);

  it('with dataStoreSync on, every apply is fsynced (the original behaviour)', async () => {
    const s = setup();
    const rs = [await start(s, 0, { dataStoreSync: true }), await start(s, 1), await start(s, 2)];
    const syncsBefore = rs[0]!.db.syncCount!;
    for (let k = 1n; k <= 3n; k++) {
      await rs[0]!.write(E, k, enc.encode(`v${k}`));
      await until(() => rs[0]!.maxCommitted(E) === k, `entry ${k} applied`);
    }
    expect(rs[0]!.db.syncCount! - syncsBefore).toBeGreaterThanOrEqual(3);
  }, 120_000);
});

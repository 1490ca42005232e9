// Issue 16 item 6: the uuid dedup index is expired by whole time buckets. A sweep visits the
// keys it deletes (plus one probe per store), never the live part of the index; counted in
// keys visited, not time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '@quorumkit/shared-storage';
import { Certain, applyCardValue } from '../src/index.js';
import { encodeValue } from '../src/storage/codec.js';
import { countRangeRows } from './helpers/singleReplica.js';

const dirs: string[] = [];
const live: Certain[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.allSettled(live.splice(0).map((c) => c.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Count the rows every range over the store's uuid keyspaces yields. */
function countUuidVisits(store: Store): { n: number } {
  const c = { n: 0 };
  for (const name of ['uuid', 'uuidt']) countRangeRows(store.keyspace(name), c);
  return c;
}

describe('uuid dedup expiry by time buckets (issue 16 item 6)', () => {
  it('a sweep visits only the expired uuids, not the live ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certain-uuidexp-'));
    dirs.push(dir);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.UTC(2026, 0, 1);
    vi.setSystemTime(t0);
    const c = new Certain({
      acceptorId: 0, acceptorNum: 1, path: dir, apply: applyCardValue, bootstrap: true, transport: async () => ({
        send: () => undefined, getAllPage: () => Promise.reject(new Error('single replica')), close: async () => undefined,
      }),
      options: { uuidWindowMs: 3_600_000, plogExpireTimeMs: 24 * 3_600_000, cmdTimeoutMs: 60_000 },
    });
    await c.start();
    live.push(c);
    const value = encodeValue([]); // no card mutations (a v1 value)
    let next = 1_000_000n;
    const uuids = (k: number) => Array.from({ length: k }, () => next++);
    // 3000 uuids two hours ago (expired), 1000 now (live), over two entities
    for (const e of [1n, 2n, 1n]) await c.write(e, (await c.maxChosen(e)) + 1n, value, uuids(1000));
    vi.setSystemTime(t0 + 2 * 3_600_000);
    const fresh = uuids(1000);
    await c.write(2n, (await c.maxChosen(2n)) + 1n, value, fresh);
    await c.replay(1n);
    await c.replay(2n);
    const plogVisits = countUuidVisits((c.plog as unknown as { store: Store }).store);
    const dbVisits = countUuidVisits((c.db as unknown as { store: Store }).store);
    await c.expireNow();
    // the expired rows are visited once each (to delete them) and at most a probe per bucket range
    expect(plogVisits.n).toBeGreaterThan(0); // the counters see the sweep's reads
    expect(plogVisits.n).toBeLessThanOrEqual(3000 + 2);
    expect(dbVisits.n).toBeGreaterThan(0);
    expect(dbVisits.n).toBeLessThanOrEqual(3000 + 2);
    expect(await c.exists(1n, 1_000_000n)).toBe(false);
    expect(await c.exists(2n, fresh[0]!)).toBe(true);
    expect(await c.exists(2n, fresh[999]!)).toBe(true);
    // a second sweep finds nothing to do and visits (almost) nothing
    plogVisits.n = 0;
    dbVisits.n = 0;
    await c.expireNow();
    expect(plogVisits.n + dbVisits.n).toBeLessThanOrEqual(2);
    // once the live ones are old too, they go
    vi.setSystemTime(t0 + 4 * 3_600_000);
    await c.expireNow();
    expect(await c.exists(2n, fresh[0]!)).toBe(false);
  }, 60_000);
});

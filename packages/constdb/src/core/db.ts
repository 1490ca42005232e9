// The keyspace: key (latin1 string of the key bytes) -> KeyRec. Every local write becomes a
// delta that is joined locally and handed to `emit` (AOF, replication backlog); remote
// deltas and snapshot records are joined with the same function. Pure: time comes in as
// arguments.
import { UuidClock } from './uuid.js';
import { scalarHasClr } from './scalar.js';
import { ScanIndex } from './scanIndex.js';
import { DigestIndex } from './digest.js';
import {
  type KeyRec, type KeyType, keyClearDelta, keyJoinInto, keyType, expiryAt, keyGc, keyTombstones, expClearDelta,
} from './keyrec.js';

/** `more`: the op is part of a unit (EXEC) and further ops of the unit follow it. */
export type Emit = (key: string, delta: KeyRec, more: boolean) => void;

/** A client watching keys (WATCH): flagged when any of them changes. */
export interface Watcher { watchDirty?: boolean }

export class Db {
  readonly keys = new Map<string, KeyRec>();
  /** SCAN's cursor order over `keys` (kept in step with it) */
  readonly scanIndex = new ScanIndex();
  /** anti-entropy digests per key range (kept current lazily: changed keys are marked) */
  readonly digest = new DigestIndex();
  readonly clock = new UuidClock();
  /** keys whose record has expiry entries (for the active expire cycle) */
  readonly expiring = new Set<string>();
  /** keys that received removals (may hold tombstones): GC, counts and DBSIZE look only here */
  readonly removals = new Set<string>();
  private expireCursor: Iterator<string> | undefined;
  emit: Emit = () => {};
  /** set while a snapshot is being encoded: called before a key's record first changes (copy on write) */
  beforeChange: ((key: string, rec: KeyRec | undefined) => void) | undefined;
  /** key -> clients watching it */
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** while an EXEC runs: its ops, emitted together at endUnit */
  private unit: Array<[string, KeyRec]> | undefined;
  stats = { expiredKeys: 0, tombstonesCollected: 0 };
  /** called after a delta touching a key's list or sorted-set part joined (local or remote): blocked pops retry */
  onListChange: ((key: string) => void) | undefined;
  /**
   * This node life's counter epoch: counter contributions are keyed by (node, epoch), and a
   * restart that may have lost own ops continues under a new one (see scalar.ts).
   */
  epoch = 0n;

  constructor(readonly node: number) {}

  uuid(now: number): bigint {
    return this.clock.next(now);
  }

  /** The record if the key exists now (has a visible type and is not expired). */
  lookup(key: string, now: number): KeyRec | undefined {
    const rec = this.keys.get(key);
    if (!rec) return undefined;
    if (rec.exp) {
      const at = expiryAt(rec.exp);
      if (at !== 0n && at <= now) return undefined;
    }
    return keyType(rec) === undefined ? undefined : rec;
  }

  typeOf(key: string, now: number): KeyType | undefined {
    const rec = this.lookup(key, now);
    return rec ? keyType(rec) : undefined;
  }

  /**
   * The record for a write; if the key has expired, first deletes (observed-remove) what
   * it held, like Redis deletes an expired key before writing to it.
   */
  forWrite(key: string, now: number): KeyRec | undefined {
    const rec = this.keys.get(key);
    if (!rec) return undefined;
    if (rec.exp) {
      const at = expiryAt(rec.exp);
      if (at !== 0n && at <= now) {
        const live = keyType(rec) !== undefined;
        this.del(key, rec, now);
        if (live) this.stats.expiredKeys++;
        return undefined;
      }
    }
    if (keyType(rec) !== undefined) return rec;
    // No value but an expiry entry (a concurrent EXPIRE met the emptying op elsewhere):
    // the key does not exist, so the write must not inherit that TTL (Redis: a new key).
    this.clearOrphanExpiry(key, rec, now);
    return undefined;
  }

  /**
   * Joins a locally produced delta and emits it. A delta that empties the key (the last
   * member or field removed) also removes the expiry it observed, in the same op, so the
   * TTL dies with the collection on every replica, as Redis deletes an emptied key.
   */
  write(key: string, delta: KeyRec): void {
    this.join(key, delta);
    const rec = this.keys.get(key)!;
    if (rec.exp && rec.exp.e.size > 0 && keyType(rec) === undefined) {
      const ex = expClearDelta(rec.exp, this.node, this.clock.current)!;
      if (delta.exp?.clr) for (const [n, u] of delta.exp.clr) if (u > (ex.clr!.get(n) ?? 0n)) ex.clr!.set(n, u);
      delta.exp = ex;
      this.join(key, { exp: ex });
    }
    if (this.unit) this.unit.push([key, delta]);
    else this.emit(key, delta, false);
  }

  /** Starts collecting ops into one unit (EXEC): they are emitted together by endUnit. */
  beginUnit(): void {
    this.unit = [];
  }

  endUnit(): void {
    const ops = this.unit ?? [];
    this.unit = undefined;
    for (let i = 0; i < ops.length; i++) this.emit(ops[i]![0], ops[i]![1], i < ops.length - 1);
  }

  watch(key: string, w: Watcher): void {
    let ws = this.watchers.get(key);
    if (!ws) this.watchers.set(key, (ws = new Set()));
    ws.add(w);
  }

  unwatch(key: string, w: Watcher): void {
    const ws = this.watchers.get(key);
    if (!ws) return;
    ws.delete(w);
    if (ws.size === 0) this.watchers.delete(key);
  }

  /** Removes (replicated, observed-remove) the expiry entries of a key that has no value. */
  private clearOrphanExpiry(key: string, rec: KeyRec, now: number): void {
    const ex = expClearDelta(rec.exp, this.node, this.uuid(now));
    if (ex) this.write(key, { exp: ex });
  }

  /**
   * Drops the whole keyspace, not replicated (a forgotten node that rejoins re-learns its
   * state from the members). Watchers see a change; a snapshot being encoded keeps its cut.
   */
  reset(): void {
    for (const [key, rec] of this.keys) {
      if (this.beforeChange) this.beforeChange(key, rec);
      this.scanIndex.delete(key);
      const ws = this.watchers.get(key);
      if (ws) for (const w of ws) w.watchDirty = true;
    }
    this.keys.clear();
    this.digest.clear();
    this.expiring.clear();
    this.removals.clear();
    this.expireCursor = undefined;
  }

  /** Joins a delta (local, remote or from a snapshot). */
  join(key: string, delta: KeyRec): void {
    let rec = this.keys.get(key);
    if (this.beforeChange) this.beforeChange(key, rec);
    if (!rec) {
      rec = {};
      this.keys.set(key, rec);
      this.scanIndex.add(key);
    }
    keyJoinInto(rec, delta);
    this.digest.touch(key);
    if (this.watchers.size > 0) {
      const ws = this.watchers.get(key);
      if (ws) for (const w of ws) w.watchDirty = true;
    }
    if (rec.exp && rec.exp.e.size > 0) this.expiring.add(key);
    if (hasRemoval(delta)) this.removals.add(key);
    if ((delta.list || delta.zset) && this.onListChange) this.onListChange(key);
  }

  del(key: string, rec: KeyRec, now: number): void {
    this.write(key, keyClearDelta(rec, this.node, this.uuid(now)));
  }

  /** Deletes up to `budget` expired keys (replicated as observed-remove DELs). */
  expireCycle(now: number, budget: number): number {
    let n = 0;
    // resume where the last cycle stopped, so every key with a TTL gets its turn
    if (!this.expireCursor) this.expireCursor = this.expiring.values();
    while (budget-- > 0) {
      const next = this.expireCursor.next();
      if (next.done) {
        this.expireCursor = undefined;
        break;
      }
      const key = next.value;
      const rec = this.keys.get(key);
      if (!rec || !rec.exp || rec.exp.e.size === 0) {
        this.expiring.delete(key);
        continue;
      }
      if (keyType(rec) === undefined) {
        this.clearOrphanExpiry(key, rec, now);
        continue;
      }
      const at = expiryAt(rec.exp);
      if (at !== 0n && at <= now) {
        this.del(key, rec, now);
        this.stats.expiredKeys++;
        n++;
      }
    }
    return n;
  }

  /** Number of keys that exist now: O(keys with removals + keys with a TTL), not O(keys). */
  size(now: number): number {
    let n = this.keys.size;
    for (const key of this.removals) {
      const rec = this.keys.get(key);
      if (!rec || keyType(rec) === undefined) n--;
    }
    for (const key of this.expiring) {
      const rec = this.keys.get(key);
      if (!rec || keyType(rec) === undefined) continue;
      const at = expiryAt(rec.exp);
      if (at !== 0n && at <= now) n--;
    }
    return n;
  }

  /** Keys that exist now and have a TTL. */
  expiresCount(now: number): number {
    let n = 0;
    for (const key of this.expiring) {
      const rec = this.keys.get(key);
      const at = rec ? expiryAt(rec.exp) : 0n;
      if (rec && at > now && keyType(rec) !== undefined) n++;
    }
    return n;
  }

  tombstones(): number {
    let t = 0;
    for (const key of this.removals) {
      const rec = this.keys.get(key);
      if (rec) t += keyTombstones(rec);
    }
    return t;
  }

  /** Collects tombstones that every replica has seen. */
  gc(stable: (n: number, u: bigint) => boolean): number {
    let c = 0;
    for (const key of this.removals) {
      const rec = this.keys.get(key);
      if (!rec) {
        this.removals.delete(key);
        continue;
      }
      c += keyGc(rec, stable);
      // GC may drop parts without counting them (an empty expiry): the digest rehashes the key
      this.digest.touch(key);
      if (!rec.str && !rec.set && !rec.hash && !rec.list && !rec.zset && !rec.exp) {
        this.keys.delete(key);
        this.scanIndex.delete(key);
        this.expiring.delete(key);
        this.removals.delete(key);
      } else if (keyTombstones(rec) === 0 && !(rec.exp && rec.exp.e.size === 0)) this.removals.delete(key);
    }
    this.stats.tombstonesCollected += c;
    return c;
  }
}

/** Does a delta remove anything (so the key may hold tombstones afterwards)? */
function hasRemoval(d: KeyRec): boolean {
  if ((d.str && scalarHasClr(d.str)) || d.exp?.clr) return true;
  if (d.set) for (const e of d.set.values()) if (e.rm) return true;
  if (d.hash) for (const s of d.hash.values()) if (scalarHasClr(s)) return true;
  if (d.list) for (const e of d.list.m.values()) if (e.ru !== undefined || !e.born) return true;
  if (d.zset) for (const e of d.zset.m.values()) if (e.rm) return true;
  return false;
}

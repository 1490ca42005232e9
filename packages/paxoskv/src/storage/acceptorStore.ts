// Durable acceptor state on shared-storage. Every change is written through one
// GroupCommitWriter (one fsync covers every instance changed meanwhile) and a reply is
// released only after the state it reveals is durable, so a restarted acceptor keeps
// every promise and vote it ever answered with.
import { randomUUID } from 'node:crypto';
import {
  GroupCommitWriter,
  type BatchOp,
  type Keyspace,
  type Store,
  concatKey,
  decodeBigintKeyAt,
  decodeJson,
  decodeStringKeyAt,
  encodeBigintKey,
  encodeJson,
  encodeStringKey,
  encodeUtf8,
  openRecord,
  openStore,
  sealRecord,
} from '@quorumkit/shared-storage';
import { type AcceptorState, type Ballot, type KeyPromise, EMPTY_STATE, hasVote, mergeLearned, prepareFrom, underKeyPromise, withFloor } from '../core/index.js';
import { KeyPromiseTable } from './keyPromises.js';
import { LazyHints } from './lazyHints.js';
import { decodeState, encodeState } from './stateCodec.js';

export interface AcceptorStoreOptions {
  /** instances kept decoded in memory; older ones are re-read from disk on demand */
  cacheInstancesMax?: number;
  /** ops merged into one synced batch */
  batchOpsMax?: number;
  /** ops accepted and not yet durable before writers wait */
  queueOpsMax?: number;
  /** a hint write (COMMIT) waits at most this long for a synced batch to ride with */
  lazyFlushMs?: number;
  /** hint ops held back at most, before they are written on their own */
  lazyOpsMax?: number;
  /** each synced batch's write+fsync time in seconds (the metrics' fsync histogram) */
  onSynced?: (seconds: number) => void;
}

export const acceptorStoreDefaults = { cacheInstancesMax: 200_000, batchOpsMax: 4096, queueOpsMax: 65536, lazyFlushMs: 20, lazyOpsMax: 1024 } as const;

export interface InstanceId {
  key: string;
  ver: bigint;
}

/** What a state transition tells the store: the new state and whether it must be persisted. */
export interface Transition<R> {
  next: AcceptorState;
  changed: boolean;
  reply: R;
}

interface Slot {
  state: AcceptorState;
  /** resolves when the last write of this instance is durable */
  durable: Promise<void> | null;
  writes: number;
}

const instKey = (id: InstanceId): string => `${id.ver}\u0000${id.key}`;
const META_FLOOR = encodeUtf8('floor');
const META_MODE = encodeUtf8('mode');
const META_INCARNATION = encodeUtf8('incarnation');
const META_KNOWN = encodeUtf8('known');

/** An incarnation claim: the number and the recovery's random id. */
export interface Incarnation {
  incarnation: bigint;
  nonce: string;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class AcceptorStore {
  private readonly instances: Keyspace;
  private readonly writer: GroupCommitWriter;
  private readonly cache = new Map<string, Slot>();
  private readonly loading = new Map<string, Promise<void>>();
  /**
   * Per key: the highest version with a vote (for LATEST) and the highest version with any
   * record at all (a version above it is untouched: no disk read needed to know it is empty).
   */
  private readonly maxVer = new Map<string, { voted: bigint; touched: bigint }>();
  private readonly maxVerLoading = new Map<string, Promise<void>>();
  private readonly cacheMax: number;
  private readonly lazy: LazyHints;
  private readonly meta: Keyspace;
  /** per key: a promise over every version from some version on (core keyPromise.ts) */
  private readonly keyPromises: KeyPromiseTable;
  /** Promised in every instance after a recovery (null: never recovered) */
  private floorBal: Ballot | null = null;
  private recoveringFlag = false;
  /** this acceptor's own incarnation (0: bootstrapped and never recovered) */
  private own: Incarnation = { incarnation: 0n, nonce: '' };
  /** what it knows of the other members' incarnations (index = acceptor id) */
  private knownPeers: (Incarnation | null)[] = [];

  private constructor(
    private readonly store: Store,
    opts: AcceptorStoreOptions,
  ) {
    this.instances = store.keyspace('inst');
    this.meta = store.keyspace('meta');
    this.writer = new GroupCommitWriter(store, {
      batchOpsMax: opts.batchOpsMax ?? acceptorStoreDefaults.batchOpsMax,
      queueOpsMax: opts.queueOpsMax ?? acceptorStoreDefaults.queueOpsMax,
      ...(opts.onSynced ? { onSynced: opts.onSynced } : {}),
    });
    this.keyPromises = new KeyPromiseTable(store.keyspace('kp'), this.writer);
    this.cacheMax = opts.cacheInstancesMax ?? acceptorStoreDefaults.cacheInstancesMax;
    this.lazy = new LazyHints(
      this.writer,
      opts.lazyFlushMs ?? acceptorStoreDefaults.lazyFlushMs,
      Math.min(opts.lazyOpsMax ?? acceptorStoreDefaults.lazyOpsMax, Math.floor((opts.batchOpsMax ?? acceptorStoreDefaults.batchOpsMax) / 2)),
    );
  }

  /** A bare store (no identity, no integrity check): in-memory tests and tools only. */
  static async open(where: string | { memory: true }, opts: AcceptorStoreOptions = {}): Promise<AcceptorStore> {
    return AcceptorStore.wrap(await openStore(where), opts);
  }

  /** Wrap an opened store, reading its recovery mode and floor. */
  static async wrap(store: Store, opts: AcceptorStoreOptions = {}): Promise<AcceptorStore> {
    const s = new AcceptorStore(store, opts);
    const floor = await s.meta.get(META_FLOOR);
    if (floor) {
      const [n, proposerId] = decodeJson<[bigint, bigint]>(openRecord(floor));
      s.floorBal = { n, proposerId };
    }
    const mode = await s.meta.get(META_MODE);
    s.recoveringFlag = mode !== undefined && decodeJson<string>(openRecord(mode)) === 'recovering';
    const own = await s.meta.get(META_INCARNATION);
    if (own) s.own = decodeJson<Incarnation>(openRecord(own));
    const known = await s.meta.get(META_KNOWN);
    if (known) s.knownPeers = decodeJson<(Incarnation | null)[]>(openRecord(known));
    return s;
  }

  /** This acceptor's incarnation: every reply carries it, so proposers can fence an older one. */
  get incarnation(): Incarnation {
    return this.own;
  }

  /** The incarnations this acceptor knows of the members (index = acceptor id; 0 = never recovered). */
  knownIncarnations(members: number): bigint[] {
    return Array.from({ length: members }, (_, i) => this.knownPeers[i]?.incarnation ?? 0n);
  }

  knownOf(id: number): Incarnation | undefined {
    return this.knownPeers[id] ?? undefined;
  }

  /** Record, durably, that acceptor `id` now votes as `inc` (before handing it any state). */
  recordPeerIncarnation(id: number, inc: Incarnation): Promise<void> {
    // one record holds every member: writes of it go one after another, never from a stale copy
    const run = this.knownChain.then(async () => {
      const have = this.knownPeers[id];
      if (have && have.incarnation >= inc.incarnation) return;
      const next = Array.from({ length: Math.max(this.knownPeers.length, id + 1) }, (_, i) => this.knownPeers[i] ?? null);
      next[id] = { incarnation: inc.incarnation, nonce: inc.nonce };
      await this.writer.write([this.meta.put(META_KNOWN, sealRecord(encodeJson(next)))]);
      this.knownPeers = next; // visible to replies only once durable
    });
    this.knownChain = run.catch(() => undefined);
    return run;
  }
  private knownChain: Promise<void> = Promise.resolve();

  /** Take a new incarnation for a recovery (durable: a crash mid-recovery resumes the same claim). */
  async setIncarnation(inc: Incarnation): Promise<void> {
    await this.writer.write([this.meta.put(META_INCARNATION, sealRecord(encodeJson(inc)))]);
    this.own = { ...inc };
  }

  /** true while this store's state is being re-learned from the other acceptors (it must not vote). */
  get recovering(): boolean {
    return this.recoveringFlag;
  }

  get floor(): Ballot | null {
    return this.floorBal;
  }

  /**
   * Mark the state as being re-learned, durably (a crash mid-recovery stays recovering), and
   * claim a new incarnation at least `atLeast` with a fresh random nonce; the acceptors it
   * re-learns from raise it further when they know an older one that high.
   */
  async beginRecovery(atLeast = 1n): Promise<void> {
    const start = [atLeast, this.own.incarnation + 1n, 1n].reduce((a, b) => (a > b ? a : b));
    const inc: Incarnation = { incarnation: start, nonce: randomUUID() };
    await this.writer.write([
      this.meta.put(META_MODE, sealRecord(encodeJson('recovering'))),
      this.meta.put(META_INCARNATION, sealRecord(encodeJson(inc))),
    ]);
    this.recoveringFlag = true;
    this.own = inc;
  }

  /** Re-learning is complete: promise `floor` everywhere from now on and vote again. */
  async finishRecovery(floor: Ballot): Promise<void> {
    await this.writer.write([
      this.meta.put(META_FLOOR, sealRecord(encodeJson([floor.n, floor.proposerId]))),
      this.meta.put(META_MODE, sealRecord(encodeJson('voting'))),
    ]);
    this.floorBal = floor;
    this.recoveringFlag = false;
  }

  /** Fold another acceptor's state of one instance into ours (recovery). */
  async merge(id: InstanceId, peer: AcceptorState): Promise<void> {
    await this.apply(id, (s) => {
      const next = mergeLearned(s, peer);
      const changed = !sameBytes(encodeState(next), encodeState(s));
      return { next: changed ? next : s, changed, reply: undefined };
    });
  }

  /** Instances in key order after `after` (exclusive), at most `limit`: what a recovering peer re-learns. */
  async dump(after: InstanceId | null, limit: number): Promise<{ id: InstanceId; state: AcceptorState }[]> {
    const out: { id: InstanceId; state: AcceptorState }[] = [];
    const range = after ? { gt: this.diskKey(after), limit } : { limit };
    for await (const [k, v] of this.instances.range(range)) {
      const key = decodeStringKeyAt(k, 0);
      const ver = decodeBigintKeyAt(k, key.end).value;
      const id = { key: key.value, ver };
      // the cached state is the newest (it may have a write in flight); the disk copy otherwise
      const cached = this.cache.get(instKey(id));
      out.push({ id, state: cached ? cached.state : decodeState(v) });
    }
    return out;
  }

  /** fsyncs so far (one per group-committed batch) */
  get syncCount(): number {
    return this.writer.syncCount;
  }

  /**
   * Run a state transition on one instance: `fn` sees the current state synchronously
   * (so concurrent requests on one instance are serialised), and the returned reply is
   * released once every write of that instance so far is durable.
   */
  async apply<R>(id: InstanceId, fn: (s: AcceptorState) => Transition<R>, opts: { lazy?: boolean } = {}): Promise<R> {
    const k = instKey(id);
    await this.loadMaxVer(id.key);
    let slot = this.cache.get(k);
    if (!slot && !this.loading.has(k) && id.ver > this.maxVer.get(id.key)!.touched) {
      slot = { state: EMPTY_STATE, durable: null, writes: 0 };
      this.cache.set(k, slot);
    }
    while (!slot) {
      await this.load(k, id);
      slot = this.cache.get(k);
    }
    this.cache.delete(k); // refresh the LRU position
    this.cache.set(k, slot);
    // after a recovery every instance has promised at least the floor, and every version the
    // key's promise covers at least its ballot (both implied, not written per instance)
    const t = fn(withFloor(underKeyPromise(slot.state, id.ver, this.keyPromises.get(id.key)), this.floorBal));
    // a reply revealing the key's promise leaves only once that promise is durable (awaited
    // after this synchronous step: nothing may interleave between the decision and its effect)
    const kpDurable = this.keyPromises.durable(id.key);
    if (t.changed) {
      slot.state = t.next;
      const m = this.maxVer.get(id.key)!;
      const voted = hasVote(t.next) && id.ver > m.voted;
      // in memory only: on restart it is read back from the instance records (loadMaxVer)
      if (voted || id.ver > m.touched) this.maxVer.set(id.key, { voted: voted ? id.ver : m.voted, touched: id.ver > m.touched ? id.ver : m.touched });
      if (opts.lazy && id.ver < m.voted) {
        // A hint (COMMIT) for a version below one this acceptor voted in: kept in memory only.
        // It is never a vote, and a lost hint costs a later read of that version one round.
        if (kpDurable) await kpDurable;
        return t.reply;
      }
      const ops: BatchOp[] = [this.instances.put(this.diskKey(id), encodeState(t.next))];
      slot.writes++;
      if (opts.lazy) {
        // A hint (COMMIT): no fsync of its own; it rides with the next synced batch.
        this.lazy.add(ops, () => {
          slot.writes--;
          this.trim();
        });
        if (kpDurable) await kpDurable;
        return t.reply;
      }
      this.lazy.flush(); // written in this same tick: the group commit puts both in one fsync
      const durable = this.writer.write(ops).finally(() => {
        slot.writes--;
        this.trim();
      });
      slot.durable = durable;
      await durable;
    } else if (slot.durable) {
      await slot.durable;
    }
    if (kpDurable) await kpDurable;
    return t.reply;
  }

  /**
   * PREPARE_FROM: promise `bal` in every version >= `from` of `key`, only while this acceptor
   * holds no state at any such version (core prepareFrom). `touched` in the answer is the key's
   * highest version with any state (-1n: none); the promise holds when it is below `from`.
   */
  async prepareFrom(key: string, from: bigint, bal: Ballot): Promise<{ lastBal: Ballot; touched: bigint; ok: boolean }> {
    await this.loadMaxVer(key);
    const touched = this.maxVer.get(key)!.touched;
    const step = prepareFrom(this.keyPromises.get(key), this.floorBal, from, bal, touched);
    if (step.changed) await this.keyPromises.set(key, step.next!);
    else await this.keyPromises.durable(key);
    return { lastBal: step.lastBal, touched, ok: step.ok };
  }

  /** The key's promise (null: none; tests and tools). */
  async keyPromise(key: string): Promise<KeyPromise | null> {
    await this.loadMaxVer(key);
    return this.keyPromises.get(key);
  }

  /** Key promises in key order after `afterKey` (exclusive), at most `limit` (recovery). */
  dumpKeyPromises(afterKey: string | null, limit: number): Promise<{ key: string; kp: KeyPromise }[]> {
    return this.keyPromises.dump(afterKey, limit);
  }

  /** Current state of an instance (read-only; waits for pending writes of it). */
  async read(id: InstanceId): Promise<AcceptorState> {
    return this.apply(id, (s) => ({ next: s, changed: false, reply: s }));
  }

  /** Highest version of `key` this acceptor voted in (-1n: none) and its state. */
  async latest(key: string): Promise<{ ver: bigint; state: AcceptorState }> {
    await this.loadMaxVer(key);
    const ver = this.maxVer.get(key)!.voted;
    if (ver < 0n) return { ver, state: EMPTY_STATE };
    return { ver, state: await this.read({ key, ver }) };
  }

  async close(): Promise<void> {
    this.lazy.flush();
    await this.writer.close();
    await this.store.close();
  }

  private diskKey(id: InstanceId): Uint8Array {
    return concatKey(encodeStringKey(id.key), encodeBigintKey(id.ver));
  }

  private load(k: string, id: InstanceId): Promise<void> {
    let p = this.loading.get(k);
    if (!p) {
      p = this.instances.get(this.diskKey(id)).then((bytes) => {
        this.loading.delete(k);
        if (!this.cache.has(k)) this.cache.set(k, { state: bytes ? decodeState(bytes) : EMPTY_STATE, durable: null, writes: 0 });
        this.trim();
      });
      p.catch(() => this.loading.delete(k));
      this.loading.set(k, p);
    }
    return p;
  }

  /**
   * The key's highest version with any record and with a vote, read from the instance records
   * themselves (one reverse seek per key per process): no separate index record is written per
   * set, and a damaged record fails its checksum here instead of being trusted.
   */
  private loadMaxVer(key: string): Promise<void> | undefined {
    if (this.maxVer.has(key)) return undefined;
    let p = this.maxVerLoading.get(key);
    if (!p) {
      p = (async () => {
        await this.keyPromises.load(key);
        const prefix = encodeStringKey(key);
        let touched = -1n;
        let voted = -1n;
        for await (const [k, v] of this.instances.range({ gte: prefix, lt: concatKey(prefix, Uint8Array.of(0xff)), reverse: true })) {
          const ver = decodeBigintKeyAt(k, prefix.length).value;
          if (touched < 0n) touched = ver;
          if (hasVote(decodeState(v))) {
            voted = ver;
            break;
          }
        }
        this.maxVerLoading.delete(key);
        if (!this.maxVer.has(key)) this.maxVer.set(key, { voted, touched });
      })();
      p.catch(() => this.maxVerLoading.delete(key));
      this.maxVerLoading.set(key, p);
    }
    return p;
  }

  /** Evict the least recently used instances that have no write in flight. */
  private trim(): void {
    if (this.cache.size <= this.cacheMax) return;
    for (const [k, slot] of this.cache) {
      if (this.cache.size <= this.cacheMax) break;
      if (slot.writes === 0) this.cache.delete(k);
    }
  }
}

// The KV API on top of one Paxos instance per (key, version):
//   set(key, value)       writes the next free version (found with a LATEST quorum read)
//   get(key)              the latest chosen version and its value
//   get(key, { ver })     the value chosen for one version
// After a value is chosen, COMMIT is broadcast so later reads of it take one round.
import { randomBytes } from 'node:crypto';
import { quorumCall } from '@quorumkit/shared-transport';
import {
  type Ballot,
  type Value,
  DEFAULT_CLUSTER_ID,
  ballot,
  ballotGE,
  clusterIdProblem,
  decideLatest,
  fastPathValue,
  firstChosen,
  isOwnValue,
  majority,
} from '../core/index.js';
import { NoQuorumReachableError, PaxosDeadlineError, UsageError } from '../errors.js';
import { instanceToWire, replyFromWire, valueToWire, wireLimits, type WireAcceptor, type WireOpKind } from '../wire/codec.js';
import { AcceptorLink, type AcceptorLinkOptions, LinkTransport } from './acceptorLink.js';
import { KeyLanes } from './keyLanes.js';
import { backoffDelayMs, sleep } from '@quorumkit/shared-transport';
import { type PaxosTiming, Proposer, paxosTimingDefaults, throwIfViewRefused } from './proposer.js';

import { type KvValue, INT64_MAX, fromPaxosValue, toPaxosValue } from './values.js';

export { type KvValue, fromPaxosValue, toPaxosValue };

export interface KvClientOptions extends Partial<PaxosTiming> {
  /** acceptor addresses host:port (at least 1; a majority must be up) */
  acceptors: string[];
  link?: AcceptorLinkOptions;
  /** how far get(key) walks down past versions without a chosen value (explicit --ver writes can leave gaps) */
  gapScanMax?: number;
  /** keys whose next version this client remembers (a set on them skips the LATEST round) */
  versionHintsMax?: number;
  /**
   * fast-path writes go to a bare majority instead of every acceptor (default false: every
   * acceptor, first majority wins, so one slow or stopped acceptor costs nothing)
   */
  thrifty?: boolean;
  /** an acceptor whose call failed this recently is left out of fast-path majorities */
  suspectMs?: number;
  /** the cluster this client means (default 'paxoskv'); sent with the member count = acceptors.length */
  clusterId?: string;
  /** set() calls on one key running or queued in this client at once; one more is refused (LimitError) */
  keyWritersMax?: number;
}

export interface KvResult {
  key: string;
  ver: bigint;
  value: KvValue;
  /** round trips this operation took (1 for a read of a committed version) */
  rounds: number;
}

export interface SetResult extends KvResult {
  /** false when an explicit version already held another value (returned in `value`) */
  written: boolean;
}

/**
 * A key promise (PREPARE_FROM) this client holds or is acquiring: `bal` promised in every version
 * >= from by a quorum with no state there. Each version >= next may take one value with it.
 */
interface HeldPromise {
  from: bigint;
  /** the lowest version not yet proposed at with this ballot */
  next: bigint;
  /** the ballot and the acceptors to send phase 2 to (null: the promise was not given) */
  result: Promise<{ bal: Ballot; targets: number[] } | null>;
}

export class PaxosKvClient {
  readonly links: AcceptorLink[];
  private readonly transport: LinkTransport;
  private readonly timing: PaxosTiming;
  private readonly all: number[];
  private readonly quorum: number;
  private readonly gapScanMax: number;
  /** key -> the version after the last one this client saw chosen (skips the LATEST round) */
  private readonly nextVer = new Map<string, bigint>();
  private readonly nextVerMax: number;
  private readonly thrifty: boolean;
  private readonly suspectMs: number;
  /** key -> the key promise this client holds (or is acquiring) for its next versions */
  private readonly held = new Map<string, HeldPromise>();
  /** one lane per key: this client's writes of a key run one after another */
  private readonly lanes: KeyLanes;
  /** key -> versions lost to other writers by the last set (its backoff level carries over) */
  private readonly heat = new Map<string, number>();

  constructor(opts: KvClientOptions) {
    if (opts.acceptors.length === 0) throw new UsageError('no acceptors given');
    const clusterId = opts.clusterId ?? DEFAULT_CLUSTER_ID;
    const idProblem = clusterIdProblem(clusterId);
    if (idProblem) throw new UsageError(idProblem);
    const view = { clusterId, members: opts.acceptors.length };
    this.links = opts.acceptors.map((a) => new AcceptorLink(a, { ...opts.link, view }));
    this.transport = new LinkTransport(this.links);
    this.timing = { ...paxosTimingDefaults, ...stripUndefined(opts) };
    this.all = this.links.map((_, i) => i);
    this.quorum = majority(this.links.length);
    this.gapScanMax = opts.gapScanMax ?? 64;
    this.nextVerMax = opts.versionHintsMax ?? 100_000;
    this.thrifty = opts.thrifty ?? false;
    this.suspectMs = opts.suspectMs ?? 2_000;
    this.lanes = new KeyLanes(opts.keyWritersMax ?? 10_000);
  }

  private rememberChosen(key: string, ver: bigint): void {
    const next = ver + 1n;
    if ((this.nextVer.get(key) ?? -1n) >= next) return;
    this.nextVer.delete(key);
    this.nextVer.set(key, next);
    if (this.nextVer.size > this.nextVerMax) this.nextVer.delete(this.nextVer.keys().next().value!);
  }

  /**
   * A fresh, random ProposerId per Paxos run: ballots must never carry two values. The run starts
   * above the highest ballot this client has met on the key: a writer that lost to another client
   * does not spend a round being refused by that client's ballot (or its key promise) first.
   */
  private newProposer(key: string, ver: bigint, deadline: number, backoffAttemptStart = 0): Proposer {
    const pid = (randomBytes(8).readBigUInt64BE() >> 2n) + 1n;
    const left = Math.max(1, deadline - Date.now());
    const seen = this.seenBal.get(key);
    return new Proposer(this.transport, { key, ver }, ballot(seen ? seen.n + 1n : 1n, pid), { ...this.timing, deadlineMs: left, backoffAttemptStart });
  }

  /** key -> the highest ballot this client used or was refused by on it (bounded like the version hints) */
  private readonly seenBal = new Map<string, Ballot>();

  private noteBallot(key: string, b: Ballot | null): void {
    if (!b) return;
    const have = this.seenBal.get(key);
    if (have && ballotGE(have, b)) return;
    this.seenBal.delete(key);
    this.seenBal.set(key, b);
    if (this.seenBal.size > this.nextVerMax) this.seenBal.delete(this.seenBal.keys().next().value!);
  }

  private closed = false;
  /** writer tags: this client's random 8 bytes, then a counter (unique per set, no entropy per call) */
  private readonly tagNonce = randomBytes(8);
  private tagCount = 0n;

  private nextTag(): Uint8Array {
    const tag = Buffer.allocUnsafe(16);
    this.tagNonce.copy(tag, 0);
    tag.writeBigUInt64BE(this.tagCount++ & 0xffff_ffff_ffff_ffffn, 8);
    return tag;
  }

  /**
   * Refuse what no acceptor would take, before any network call (an acceptor's BadRequest
   * would only show after the deadline as "no quorum reachable").
   */
  private checkRequest(key: string, ver: bigint | undefined): void {
    if (this.closed) throw new UsageError('this PaxosKvClient is closed');
    if (typeof key !== 'string') throw new UsageError('key must be a string');
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes > wireLimits.keyBytesMax) throw new UsageError(`key is ${keyBytes} bytes, at most ${wireLimits.keyBytesMax}`);
    if (ver !== undefined && (ver < 0n || ver > INT64_MAX)) throw new UsageError(`version must be an int64 >= 0, got ${ver}`);
  }

  /** Write `value` at the next free version of `key` (or at `ver`, the seed's way). */
  async set(key: string, value: KvValue | number, opts: { ver?: bigint } = {}): Promise<SetResult> {
    this.checkRequest(key, opts.ver);
    const deadline = Date.now() + this.timing.deadlineMs;
    const mine = toPaxosValue(value, this.nextTag());
    if (mine.bytes && mine.bytes.length > wireLimits.valueBytesMax) {
      throw new UsageError(`value is ${mine.bytes.length} bytes, at most ${wireLimits.valueBytesMax}`);
    }
    if (opts.ver !== undefined) {
      if (opts.ver < 0n) throw new UsageError(`version must be >= 0, got ${opts.ver}`);
      const p = this.newProposer(key, opts.ver, deadline);
      const chosen = (await p.runPaxos(this.all, mine))!;
      this.commit(key, opts.ver, chosen);
      this.rememberChosen(key, opts.ver);
      return { key, ver: opts.ver, value: fromPaxosValue(chosen), written: isOwnValue(chosen, mine), rounds: p.rounds };
    }
    const leave = await this.lanes.enter(key, deadline);
    try {
      return await this.setNext(key, fromPaxosValue(mine), mine, deadline);
    } finally {
      leave();
    }
  }

  /** set() at the next free version; the caller holds the key's lane. */
  private async setNext(key: string, value: KvValue, mine: Value, deadline: number): Promise<SetResult> {
    let rounds = 0;
    // versions lost to other writers: the backoff grows across versions, and half of it
    // carries over to this key's next set (a hot key stays backed off, a cool one recovers)
    let lost = Math.floor((this.heat.get(key) ?? 0) / 2);
    // Propose at v only when v-1 is chosen. Known here when this client saw v-1 chosen;
    // else ask a quorum: at the latest voted version when its value is not known (a vote
    // there means the one below is chosen), past it when it is.
    const ask = async (): Promise<bigint> => {
      const latest = await this.latest(key, deadline);
      rounds += 1;
      return latest.ver < 0n ? 0n : latest.chosen ? latest.ver + 1n : latest.ver;
    };
    let ver = this.nextVer.get(key) ?? (await ask());
    for (;;) {
      // With a key promise held for this version, phase 2 only; else a full Paxos run, while a
      // key promise for the versions after it is acquired in the same Batch calls.
      const held = this.takeHeld(key, ver);
      if (!held) this.acquireKeyPromise(key, ver + 1n, deadline);
      const r = await this.choose(key, ver, mine, deadline, held, lost);
      const chosen = r.value;
      rounds += r.rounds;
      this.commit(key, ver, chosen);
      this.rememberChosen(key, ver);
      if (isOwnValue(chosen, mine)) {
        this.noteHeat(key, lost);
        return { key, ver, value: value, written: true, rounds };
      }
      // Someone else got this version: back off (more at every version lost), then jump to
      // what a quorum knows (our hint may be far behind).
      const delay = backoffDelayMs(lost++, { baseMs: this.timing.backoffMsBase, maxMs: this.timing.backoffMsMax, random: this.timing.random });
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      const next = await ask();
      ver = next > ver ? next : ver + 1n;
      if (Date.now() >= deadline) {
        this.noteHeat(key, lost);
        throw new PaxosDeadlineError(`set ${key}: every version up to ${ver - 1n} was taken by other writers before the deadline`);
      }
    }
  }

  private noteHeat(key: string, lost: number): void {
    this.heat.delete(key);
    if (lost > 0) this.heat.set(key, Math.min(lost, 16));
    if (this.heat.size > this.nextVerMax) this.heat.delete(this.heat.keys().next().value!);
  }

  /**
   * Get a value chosen at (key, ver), proposing `mine`: phase 2 straight away with a key promise
   * held for this version, else (or when that phase 2 fails) a full Paxos run.
   */
  private async choose(key: string, ver: bigint, mine: Value, deadline: number, held: HeldPromise | undefined, lost = 0): Promise<{ value: Value; rounds: number }> {
    if (held) {
      const ready = await held.result;
      if (ready) {
        const p = new Proposer(this.transport, { key, ver }, ready.bal, { ...this.timing, deadlineMs: Math.max(1, deadline - Date.now()) });
        // the promising quorum held no state at any version >= held.from: no vote to re-propose
        p.val = fastPathValue(null, mine);
        const r2 = await p.phase2(ready.targets, this.quorum, Math.max(1, Math.min(this.timing.phaseTimeoutMs, deadline - Date.now())));
        if (r2.err === null) {
          this.keepHeld(key, held);
          return { value: p.val, rounds: 1 };
        }
        // pre-empted (or too slow): this ballot is done with for this key
        this.noteBallot(key, r2.higherBal);
        if (r2.chosen) return { value: r2.chosen, rounds: 1 };
      }
    }
    const p = this.newProposer(key, ver, deadline, lost);
    try {
      const value = (await p.runPaxos(this.all, mine))!;
      return { value, rounds: p.rounds };
    } finally {
      this.noteBallot(key, p.bal);
    }
  }

  /**
   * A bare majority of acceptors for the fast path, rotated per key so load spreads, and
   * leaving out acceptors that failed recently. Safety does not depend on which majority;
   * if one of them does not answer, the full Paxos run over every acceptor takes over.
   */
  private thriftyTargets(key: string): number[] {
    if (!this.thrifty) return this.all;
    const now = Date.now();
    const healthy = this.all.filter((i) => now - this.links[i]!.lastFailureAt > this.suspectMs);
    if (healthy.length < this.quorum) return this.all;
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
    const start = h % healthy.length;
    return Array.from({ length: this.quorum }, (_, k) => healthy[(start + k) % healthy.length]!);
  }

  /**
   * The key promise for (key, ver), taken out of the map (a ballot carries one value per version:
   * it goes back only after its phase 2 at ver succeeded, to be used from ver + 1 on).
   */
  private takeHeld(key: string, ver: bigint): HeldPromise | undefined {
    const h = this.held.get(key);
    if (!h) return undefined;
    this.held.delete(key);
    if (ver < h.next) return undefined; // a version already proposed at (or below the promise)
    h.next = ver + 1n;
    return h;
  }

  private keepHeld(key: string, h: HeldPromise): void {
    if (this.held.has(key)) return; // a newer one was acquired meanwhile
    this.held.set(key, h);
    if (this.held.size > this.nextVerMax) this.held.delete(this.held.keys().next().value!);
  }

  /** Ask for a key promise over every version >= from (never waited for by this set). */
  private acquireKeyPromise(key: string, from: bigint, deadline: number): void {
    if (this.held.has(key)) return;
    const p = this.newProposer(key, from, deadline);
    const bal = p.bal;
    const targets = this.thriftyTargets(key);
    const result = p.prepareFrom(targets, this.quorum).then(
      (r) => {
        this.noteBallot(key, r.higherBal);
        return r.ok ? { bal, targets } : null;
      },
      () => null,
    );
    this.held.set(key, { from, next: from, result });
    if (this.held.size > this.nextVerMax) this.held.delete(this.held.keys().next().value!);
  }

  /** The latest chosen version of `key` (or version `ver`); null when there is none. */
  async get(key: string, opts: { ver?: bigint } = {}): Promise<KvResult | null> {
    this.checkRequest(key, opts.ver);
    const deadline = Date.now() + this.timing.deadlineMs;
    if (opts.ver !== undefined) {
      if (opts.ver < 0n) throw new UsageError(`version must be >= 0, got ${opts.ver}`);
      return this.getVersion(key, opts.ver, deadline, 0);
    }
    const latest = await this.latest(key, deadline);
    if (latest.ver < 0n) return null;
    if (latest.chosen) {
      this.rememberChosen(key, latest.ver);
      return { key, ver: latest.ver, value: fromPaxosValue(latest.chosen), rounds: 1 };
    }
    // Not learned yet: make the latest voted version safe with a Paxos read.
    let rounds = 1;
    const p = this.newProposer(key, latest.ver, deadline);
    const v = await p.runPaxos(this.all, null);
    rounds += p.rounds;
    if (v) {
      this.commit(key, latest.ver, v);
      return { key, ver: latest.ver, value: fromPaxosValue(v), rounds };
    }
    // Nothing chosen there yet: the version below is the latest chosen one.
    for (let ver = latest.ver - 1n, steps = 0; ver >= 0n && steps < this.gapScanMax; ver--, steps++) {
      const r = await this.getVersion(key, ver, deadline, rounds);
      if (r) return r;
      rounds += 1;
    }
    return null;
  }

  private async getVersion(key: string, ver: bigint, deadline: number, roundsBefore: number): Promise<KvResult | null> {
    // One round when a quorum was told the value is chosen (COMMIT), else a Paxos read.
    const learned = await this.quorumOf('LEARN', { Id: instanceToWire({ key, ver }) }, deadline, `get ${key}@${ver}`);
    const chosen = firstChosen(learned.map(replyFromWire));
    if (chosen) return { key, ver, value: fromPaxosValue(chosen), rounds: roundsBefore + 1 };
    const p = this.newProposer(key, ver, deadline);
    const v = await p.runPaxos(this.all, null);
    if (!v) return null;
    this.commit(key, ver, v);
    return { key, ver, value: fromPaxosValue(v), rounds: roundsBefore + 1 + p.rounds };
  }

  private async latest(key: string, deadline: number) {
    const replies = await this.quorumOf('LATEST', { Id: instanceToWire({ key, ver: 0n }) }, deadline, `latest ${key}`);
    return decideLatest(replies.map((r) => ({ ver: BigInt(r.Ver ?? '-1'), state: replyFromWire(r) })));
  }

  /** A read-only op on a quorum, retried until the deadline while acceptors are unreachable. */
  private async quorumOf(kind: WireOpKind, req: unknown, deadline: number, what: string): Promise<WireAcceptor[]> {
    let lastErr: unknown;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      try {
        const got = await quorumCall(this.all, (i, signal) => this.transport.request(i, kind, req, signal), {
          need: this.quorum,
          deadlineMs: Math.max(1, Math.min(this.timing.phaseTimeoutMs, deadline - Date.now())),
        });
        return got.map((g) => g.result.reply);
      } catch (e) {
        lastErr = e;
        throwIfViewRefused((e as { outcome?: { failed: { target: unknown; error: unknown }[] } }).outcome?.failed ?? [], (i) => this.transport.describe(i));
        const delay = Math.min(this.timing.backoffMsMax * 2 ** Math.min(attempt, 4), Math.max(0, deadline - Date.now()));
        await new Promise((r) => setTimeout(r, delay * (this.timing.random ?? Math.random)()));
      }
    }
    const failed = (lastErr as { outcome?: { failed: { target: number; error: unknown }[] } })?.outcome?.failed ?? [];
    const detail = failed.map((f) => `${this.transport.describe(f.target)} (${(f.error as Error)?.message ?? String(f.error)})`).join('; ');
    throw new NoQuorumReachableError(
      `${what}: no quorum of ${this.quorum}/${this.links.length} acceptors reachable within ${this.timing.deadlineMs} ms` + (detail ? `: ${detail}` : ''),
    );
  }

  /** Tell every acceptor the chosen value (fire and forget: only a hint for later reads). */
  private commit(key: string, ver: bigint, v: Value): void {
    const req = { Id: instanceToWire({ key, ver }), Val: valueToWire(v) };
    for (const link of this.links) link.request('COMMIT', req).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    for (const l of this.links) l.close();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

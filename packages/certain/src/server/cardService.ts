// The card server's request path: per-entity queues, each drained in batches that share one
// Certain write (per-entity group commit). A batch is evaluated against the entity's applied
// state at maxChosen and proposed for maxChosen + 1; if another value wins that entry the
// batch is re-evaluated on the new state. A batch with no mutation uses a read barrier.
import { encodeBigintKey } from '@quorumkit/shared-storage';
import type { Logger } from 'pino';
import { evaluateCardOps, cardEntity, UINT64_MAX, type Card, type CardOp, type CardResult } from '../core/card.js';
import type { Certain } from '../engine/certain.js';
import type { ApplyFn } from '../storage/db.js';
import { decodeValue, encodeValue, openValue, sealValue } from '../storage/codec.js';
import { BusyError, ConflictError, DupUuidError, OverloadedError, TurnError, ValueTooLargeError } from '../errors.js';
import { QuorumkitError } from '@quorumkit/shared-storage';

export interface CardServiceOptions {
  batchOpsMax: number;
  attemptsMax: number;
  /**
   * Largest encoded value one request may propose (its card as a one-mutation value plus its
   * stored reply). Must not exceed the engine's valueBytesMax; a larger request is refused
   * before anything runs.
   */
  cardValueBytesMax: number;
  /**
   * Admission limit: requests queued or running on this server, all entities together. One
   * more is refused at once with OverloadedError (RESOURCE_EXHAUSTED), having changed
   * nothing, so overload shows as a clear refusal instead of commands that time out after
   * they may have been chosen.
   */
  admitOpsMax: number;
}

export const cardServiceDefaults: CardServiceOptions = { batchOpsMax: 128, attemptsMax: 50, cardValueBytesMax: 256 * 1024, admitOpsMax: 2048 };

type Mutation = { id: bigint; card: Card | null };
/**
 * A chosen card value: the mutations, and the reply of every request (by uuid) it carries,
 * kept with the uuid's dedup row when applied so a retry gets the original reply (v1 values,
 * written before replies existed, are a bare Mutation[]).
 */
interface CardValue { m: Mutation[]; r: [bigint, StoredResult][] }
/**
 * A reply as carried in the value: `{ ok: true, c: id }` stands for "ok with the card this
 * value writes for id" (the usual reply of an insert or update), so a card travels once.
 */
type StoredResult = CardResult | { ok: true; c: bigint };

function storeResult(r: CardResult, cardId: bigint, mutations: Map<bigint, Card | null>): StoredResult {
  return r.ok && r.card && mutations.get(cardId) === r.card ? { ok: true, c: cardId } : r;
}

function loadResult(r: StoredResult, ms: Mutation[]): CardResult {
  if (!('c' in r)) return r;
  const card = ms.find((m) => m.id === r.c)?.card;
  return card ? { ok: true, card } : { ok: true };
}

export const cardKey = (cardId: bigint): Uint8Array => encodeBigintKey(cardId);
export const encodeCard = (c: Card): Uint8Array => sealValue(c);
export const decodeCard = (b: Uint8Array): Card => openValue<Card>(b);

/** Applies a chosen card value (card mutations, and the replies to remember per uuid). */
export const applyCardValue: ApplyFn = (_entityId, _entry, value, tx) => {
  const v = decodeValue<Mutation[] | CardValue>(value);
  const ms = Array.isArray(v) ? v : v.m;
  for (const m of ms) {
    if (m.card === null) tx.del(cardKey(m.id));
    else tx.put(cardKey(m.id), encodeCard(m.card));
  }
  if (!Array.isArray(v)) for (const [uuid, r] of v.r) tx.reply(uuid, encodeValue(loadResult(r, ms)));
};

export class TooManyRetriesError extends QuorumkitError {
  constructor(entityId: bigint) {
    super('ERETRIES', `entity ${entityId}: too much contention, gave up`);
  }
}

/** A request whose encoded value exceeds cardValueBytesMax (nothing was changed). */
export class CardTooLargeError extends QuorumkitError {
  constructor(readonly cardId: bigint, readonly bytes: number, readonly bytesMax: number) {
    super('ECARDTOOLARGE', `card ${cardId}: encoded card value of ${bytes} bytes exceeds cardValueBytesMax ${bytesMax}`);
  }
}

/** Bytes of the value one request would propose on its own (an insert's card; others are small). */
export function requestValueBytes(op: CardOp, uuid = UINT64_MAX): number {
  const card: Card | null = op.op === 'insert' ? { ...op.card, lastModifiedTime: 0xffffffff } : null;
  return encodeValue({ m: [{ id: op.cardId, card }], r: [[uuid, { ok: true, c: op.cardId }]] } satisfies CardValue).byteLength;
}

/** Above the encoded value of any request without a card (ids and the uuid are u64s). */
const OTHER_REQUEST_BYTES_MAX = 1024;

interface Pending { op: CardOp; uuid: bigint; resolve: (r: CardResult) => void; reject: (e: unknown) => void }

export class CardService {
  private readonly queues = new Map<bigint, Pending[]>();
  /** Per entity: mutations of our own chosen entries from..upTo that may not be applied yet. */
  private readonly overlays = new Map<bigint, { from: bigint; upTo: bigint; cards: Map<bigint, Card | null>; replies: Map<bigint, CardResult> }>();
  /** Requests admitted and not yet answered (bounded by admitOpsMax). */
  private admittedOps = 0;
  readonly opts: CardServiceOptions;
  /** Retries of a batch by cause (error code): contention shows here. */
  readonly retryCauses: Record<string, number> = {};
  readonly stats = { batches: 0, ops: 0, writes: 0, reads: 0, retries: 0, replayed: 0, shed: 0 };

  constructor(
    readonly certain: Certain,
    private readonly log: Logger,
    opts: Partial<CardServiceOptions> = {},
  ) {
    this.opts = { ...cardServiceDefaults, ...opts };
  }

  get admitted(): number {
    return this.admittedOps;
  }

  /**
   * Queue an op. A non-zero `uuid` makes it at-most-once: a retry of a request already chosen
   * (within the engine's uuid window) is answered with the original reply and applies nothing.
   */
  submit(op: CardOp, uuid = 0n): Promise<CardResult> {
    // only an insert carries a card; any other request's value is under ~150 bytes, so it is
    // measured (a whole encode per request, ~0.7 % of server 0's time) only under a tiny limit
    const bytes = op.op === 'insert' || this.opts.cardValueBytesMax < OTHER_REQUEST_BYTES_MAX ? requestValueBytes(op, uuid) : 0;
    if (bytes > this.opts.cardValueBytesMax) return Promise.reject(new CardTooLargeError(op.cardId, bytes, this.opts.cardValueBytesMax));
    if (this.admittedOps >= this.opts.admitOpsMax) {
      this.stats.shed++;
      return Promise.reject(new OverloadedError('admitOpsMax', this.opts.admitOpsMax));
    }
    this.admittedOps++;
    const entity = cardEntity(op.cardId);
    const settle = <T>(f: (x: T) => void) => (x: T) => {
      this.admittedOps--;
      f(x);
    };
    return new Promise<CardResult>((res, rej) => {
      const resolve = settle(res);
      const reject = settle(rej);
      let q = this.queues.get(entity);
      const start = !q;
      if (!q) {
        q = [];
        this.queues.set(entity, q);
      }
      q.push({ op, uuid, resolve, reject });
      if (start) void this.drain(entity);
    });
  }

  private async drain(entity: bigint): Promise<void> {
    const q = this.queues.get(entity)!;
    let size = this.opts.batchOpsMax;
    while (q.length > 0) {
      const batch = q.splice(0, size);
      try {
        const results = await this.runBatch(entity, batch);
        batch.forEach((p, i) => {
          const r = results[i]!;
          if (r instanceof Error) p.reject(r);
          else p.resolve(r);
        });
        size = this.opts.batchOpsMax;
      } catch (err) {
        // Requests that fit alone may not fit together: run the batch in halves (the write
        // was refused before proposing, so nothing changed).
        if (err instanceof ValueTooLargeError && batch.length > 1) {
          q.unshift(...batch);
          size = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        for (const p of batch) p.reject(err);
      }
    }
    this.queues.delete(entity);
  }

  private async runBatch(entity: bigint, items: Pending[]): Promise<(CardResult | Error)[]> {
    this.stats.batches++;
    this.stats.ops += items.length;
    for (let attempt = 0; attempt < this.opts.attemptsMax; attempt++) {
      // State at maxChosen: the data store plus our own chosen-but-not-yet-applied writes
      // (so consecutive batches do not wait for the apply), else replay everything first.
      const maxChosen = await this.certain.maxChosen(entity);
      let ov = this.overlays.get(entity);
      const applied = this.certain.maxCommitted(entity);
      if (ov && applied >= ov.upTo) {
        this.overlays.delete(entity);
        ov = undefined;
      }
      let mc: bigint;
      if (applied === maxChosen || (ov && ov.upTo === maxChosen && applied >= ov.from - 1n)) {
        mc = maxChosen;
      } else {
        this.overlays.delete(entity);
        ov = undefined;
        mc = await this.certain.replay(entity);
      }
      // At-most-once: a uuid already chosen (durably, or by our own unapplied writes) gets
      // its stored reply; one repeated inside the batch gets the reply of its first copy.
      const prior = new Map<number, CardResult | Error>();
      const first = new Map<bigint, number>();
      const same = new Map<number, number>();
      for (let i = 0; i < items.length; i++) {
        const u = items[i]!.uuid;
        if (u === 0n) continue;
        const f = first.get(u);
        if (f !== undefined) {
          same.set(i, f);
          continue;
        }
        first.set(u, i);
        const known = ov?.replies.get(u) ?? (await this.storedReply(entity, u));
        if (known !== undefined) prior.set(i, known);
      }
      const fresh = items.filter((_, i) => !prior.has(i) && !same.has(i));
      const ops = fresh.map((it) => it.op);
      const uuids = fresh.filter((it) => it.uuid !== 0n).map((it) => it.uuid);
      const merge = (rs: CardResult[]): (CardResult | Error)[] => {
        const out: (CardResult | Error)[] = [];
        let k = 0;
        for (let i = 0; i < items.length; i++) {
          const p = prior.get(i);
          if (p !== undefined) this.stats.replayed++;
          out.push(p ?? (same.has(i) ? out[same.get(i)!]! : rs[k++]!));
        }
        return out;
      };
      // every request is a replay: answer from the stored replies, nothing to run
      if (fresh.length === 0) return merge([]);
      const { results, mutations } = await this.evaluate(entity, ops, ov);
      try {
        if (mutations.size === 0) {
          this.stats.reads++;
          const upTo = await this.certain.read(entity);
          if (upTo === mc) return merge(results);
          // The barrier moved past mc (its own write-for-read chose a no-op, or entries were
          // chosen meanwhile) and the data store now holds everything up to upTo: evaluate
          // the reads there, no second barrier (no own write of this entity is in flight: its
          // batches run one at a time). Only when an op that failed at mc would now change a
          // card does the batch go round again, to propose it.
          const again = await this.evaluate(entity, ops, undefined);
          if (again.mutations.size === 0) return merge(again.results);
        } else {
          const replies: [bigint, CardResult][] = [];
          const stored: [bigint, StoredResult][] = [];
          fresh.forEach((it, i) => {
            if (it.uuid === 0n) return;
            replies.push([it.uuid, results[i]!]);
            stored.push([it.uuid, storeResult(results[i]!, it.op.cardId, mutations)]);
          });
          const value: CardValue = { m: [...mutations].map(([id, card]) => ({ id, card })), r: stored };
          this.stats.writes++;
          try {
            // every uuid of `fresh` was looked up in this attempt (storedReply): not again
            await this.certain.write(entity, mc + 1n, encodeValue(value), uuids, { uuidsChecked: true });
          } catch (err) {
            this.overlays.delete(entity);
            throw err;
          }
          const cur = ov ?? { from: mc + 1n, upTo: mc, cards: new Map<bigint, Card | null>(), replies: new Map<bigint, CardResult>() };
          for (const [id, card] of mutations) cur.cards.set(id, card);
          for (const [u, r] of replies) cur.replies.set(u, r);
          cur.upTo = mc + 1n;
          this.overlays.set(entity, cur);
          return merge(results);
        }
      } catch (err) {
        // DupUuidError: a uuid of the batch was chosen meanwhile (a retry raced its original):
        // the next attempt finds its reply.
        if (!(err instanceof TurnError || err instanceof ConflictError || err instanceof BusyError || err instanceof DupUuidError)) throw err;
        this.retryCauses[err.code] = (this.retryCauses[err.code] ?? 0) + 1;
        // busy: a proposal of an earlier (timed-out) request is still running here: wait for
        // its decision rather than poll
        if (err instanceof BusyError) await this.certain.whenIdle(entity, this.certain.tuning.cmdTimeoutMs);
      }
      this.stats.retries++;
      this.log.debug({ entity: String(entity), attempt }, 'card batch retry');
    }
    throw new TooManyRetriesError(entity);
  }

  /** Evaluate the ops on the entity's cards: our own unapplied writes (ov), else the data store. */
  private async evaluate(entity: bigint, ops: CardOp[], ov: { cards: Map<bigint, Card | null> } | undefined): Promise<ReturnType<typeof evaluateCardOps>> {
    const cards = new Map<bigint, Card | undefined>();
    for (const o of ops) {
      if (cards.has(o.cardId)) continue;
      if (ov?.cards.has(o.cardId)) {
        cards.set(o.cardId, ov.cards.get(o.cardId) ?? undefined);
        continue;
      }
      const b = await this.certain.db.get(entity, cardKey(o.cardId));
      cards.set(o.cardId, b ? decodeCard(b) : undefined);
    }
    return evaluateCardOps(ops, (id) => cards.get(id), Math.floor(Date.now() / 1000));
  }

  /**
   * The reply stored for a chosen uuid; undefined when not chosen. A row without a reply was
   * written before replies existed: the request is refused as a duplicate, as it was then.
   */
  private async storedReply(entity: bigint, uuid: bigint): Promise<CardResult | Error | undefined> {
    let hit = await this.certain.uuidReply(entity, uuid);
    if (!hit) return undefined;
    if (!hit.applied) {
      // chosen by another replica since this attempt read maxChosen: apply, then read its reply
      // (this attempt's own write then meets a TurnError and re-evaluates on the new state)
      await this.certain.replay(entity);
      hit = (await this.certain.uuidReply(entity, uuid)) ?? hit;
    }
    return hit.reply ? decodeValue<CardResult>(hit.reply) : new DupUuidError(entity, uuid);
  }
}

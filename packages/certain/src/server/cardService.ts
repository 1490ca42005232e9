// The card server's request path: per-entity queues, each drained in batches that share one
// Certain write (per-entity group commit). A batch is evaluated against the entity's applied
// state at maxChosen and proposed for maxChosen + 1; if another value wins that entry the
// batch is re-evaluated on the new state. A batch with no mutation uses a read barrier.
import { encodeBigintKey } from '@quorumkit/shared-storage';
import type { Logger } from 'pino';
import { evaluateCardOps, cardEntity, type Card, type CardOp, type CardResult } from '../core/card.js';
import type { Certain } from '../engine/certain.js';
import type { ApplyFn } from '../storage/db.js';
import { decodeValue, encodeValue, openValue, sealValue } from '../storage/codec.js';
import { BusyError, ConflictError, DupUuidError, TurnError, ValueTooLargeError } from '../errors.js';
import { QuorumkitError } from '@quorumkit/shared-storage';

export interface CardServiceOptions {
  batchOpsMax: number;
  attemptsMax: number;
  /**
   * Largest encoded value one request may propose (its card as a one-mutation value). Must
   * not exceed the engine's valueBytesMax; a larger request is refused before anything runs.
   */
  cardValueBytesMax: number;
}

export const cardServiceDefaults: CardServiceOptions = { batchOpsMax: 128, attemptsMax: 50, cardValueBytesMax: 256 * 1024 };

type Mutation = { id: bigint; card: Card | null };

export const cardKey = (cardId: bigint): Uint8Array => encodeBigintKey(cardId);
export const encodeCard = (c: Card): Uint8Array => sealValue(c);
export const decodeCard = (b: Uint8Array): Card => openValue<Card>(b);

/** Applies a chosen card value (a list of card mutations) to the entity. */
export const applyCardValue: ApplyFn = (_entityId, _entry, value, tx) => {
  for (const m of decodeValue<Mutation[]>(value)) {
    if (m.card === null) tx.del(cardKey(m.id));
    else tx.put(cardKey(m.id), encodeCard(m.card));
  }
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
export function requestValueBytes(op: CardOp): number {
  const card: Card | null = op.op === 'insert' ? { ...op.card, lastModifiedTime: 0xffffffff } : null;
  return encodeValue([{ id: op.cardId, card }] satisfies Mutation[]).byteLength;
}

interface Pending { op: CardOp; uuid: bigint; resolve: (r: CardResult) => void; reject: (e: unknown) => void }

export class CardService {
  private readonly queues = new Map<bigint, Pending[]>();
  /** Per entity: mutations of our own chosen entries from..upTo that may not be applied yet. */
  private readonly overlays = new Map<bigint, { from: bigint; upTo: bigint; cards: Map<bigint, Card | null>; uuids: Set<bigint> }>();
  readonly opts: CardServiceOptions;
  readonly stats = { batches: 0, ops: 0, writes: 0, reads: 0, retries: 0 };

  constructor(
    readonly certain: Certain,
    private readonly log: Logger,
    opts: Partial<CardServiceOptions> = {},
  ) {
    this.opts = { ...cardServiceDefaults, ...opts };
  }

  /** Queue an op; `uuid` (non-zero) makes a retried request fail with DupUuidError instead of applying twice. */
  submit(op: CardOp, uuid = 0n): Promise<CardResult> {
    const bytes = requestValueBytes(op);
    if (bytes > this.opts.cardValueBytesMax) return Promise.reject(new CardTooLargeError(op.cardId, bytes, this.opts.cardValueBytesMax));
    const entity = cardEntity(op.cardId);
    return new Promise<CardResult>((resolve, reject) => {
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
      // uuids already chosen (durably, or by our own unapplied writes) or repeated in the batch
      const seen = new Set<bigint>();
      const dup: boolean[] = [];
      for (const it of items) {
        const d = it.uuid !== 0n && (seen.has(it.uuid) || (ov?.uuids.has(it.uuid) ?? false) || (await this.certain.exists(entity, it.uuid)));
        if (it.uuid !== 0n) seen.add(it.uuid);
        dup.push(d);
      }
      const ops = items.filter((_, i) => !dup[i]).map((it) => it.op);
      const uuids = items.filter((it, i) => !dup[i] && it.uuid !== 0n).map((it) => it.uuid);
      const merge = (rs: CardResult[]): (CardResult | Error)[] => {
        let k = 0;
        return items.map((it, i) => (dup[i] ? new DupUuidError(entity, it.uuid) : rs[k++]!));
      };
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
      const { results, mutations } = evaluateCardOps(ops, (id) => cards.get(id), Math.floor(Date.now() / 1000));
      try {
        if (mutations.size === 0) {
          this.stats.reads++;
          const upTo = await this.certain.read(entity);
          if (upTo === mc) return merge(results);
        } else {
          const value: Mutation[] = [...mutations].map(([id, card]) => ({ id, card }));
          this.stats.writes++;
          try {
            await this.certain.write(entity, mc + 1n, encodeValue(value), uuids);
          } catch (err) {
            this.overlays.delete(entity);
            throw err;
          }
          const cur = ov ?? { from: mc + 1n, upTo: mc, cards: new Map<bigint, Card | null>(), uuids: new Set<bigint>() };
          for (const [id, card] of mutations) cur.cards.set(id, card);
          for (const u of uuids) cur.uuids.add(u);
          cur.upTo = mc + 1n;
          this.overlays.set(entity, cur);
          return merge(results);
        }
      } catch (err) {
        if (!(err instanceof TurnError || err instanceof ConflictError || err instanceof BusyError)) throw err;
        if (err instanceof BusyError) await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
      this.stats.retries++;
      this.log.debug({ entity: String(entity), attempt }, 'card batch retry');
    }
    throw new TooManyRetriesError(entity);
  }
}

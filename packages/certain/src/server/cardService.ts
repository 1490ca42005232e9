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
import { BusyError, ConflictError, TurnError } from '../errors.js';
import { QuorumkitError } from '@quorumkit/shared-storage';

export interface CardServiceOptions {
  batchOpsMax: number;
  attemptsMax: number;
}

export const cardServiceDefaults: CardServiceOptions = { batchOpsMax: 128, attemptsMax: 50 };

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

interface Pending { op: CardOp; resolve: (r: CardResult) => void; reject: (e: unknown) => void }

export class CardService {
  private readonly queues = new Map<bigint, Pending[]>();
  readonly opts: CardServiceOptions;
  readonly stats = { batches: 0, ops: 0, writes: 0, reads: 0, retries: 0 };

  constructor(
    readonly certain: Certain,
    private readonly log: Logger,
    opts: Partial<CardServiceOptions> = {},
  ) {
    this.opts = { ...cardServiceDefaults, ...opts };
  }

  submit(op: CardOp): Promise<CardResult> {
    const entity = cardEntity(op.cardId);
    return new Promise<CardResult>((resolve, reject) => {
      let q = this.queues.get(entity);
      const start = !q;
      if (!q) {
        q = [];
        this.queues.set(entity, q);
      }
      q.push({ op, resolve, reject });
      if (start) void this.drain(entity);
    });
  }

  private async drain(entity: bigint): Promise<void> {
    const q = this.queues.get(entity)!;
    while (q.length > 0) {
      const batch = q.splice(0, this.opts.batchOpsMax);
      try {
        const results = await this.runBatch(entity, batch.map((p) => p.op));
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.queues.delete(entity);
  }

  private async runBatch(entity: bigint, ops: CardOp[]): Promise<CardResult[]> {
    this.stats.batches++;
    this.stats.ops += ops.length;
    for (let attempt = 0; attempt < this.opts.attemptsMax; attempt++) {
      const mc = await this.certain.replay(entity);
      const cards = new Map<bigint, Card | undefined>();
      for (const o of ops) {
        if (cards.has(o.cardId)) continue;
        const b = await this.certain.db.get(entity, cardKey(o.cardId));
        cards.set(o.cardId, b ? decodeCard(b) : undefined);
      }
      const { results, mutations } = evaluateCardOps(ops, (id) => cards.get(id), Math.floor(Date.now() / 1000));
      try {
        if (mutations.size === 0) {
          this.stats.reads++;
          const upTo = await this.certain.read(entity);
          if (upTo === mc) return results;
        } else {
          const value: Mutation[] = [...mutations].map(([id, card]) => ({ id, card }));
          this.stats.writes++;
          await this.certain.write(entity, mc + 1n, encodeValue(value));
          return results;
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

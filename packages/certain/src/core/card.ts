// The card example's business logic, pure: evaluate a batch of operations against the
// entity's state (read through `lookup`), producing per-op results and the mutations to
// propose as one Certain value.

export interface Card {
  userName: Uint8Array;
  userId: bigint;
  lastModifiedTime: number;
  balance: bigint;
}

export const CardCode = { NotEnough: 8000, NotExist: 8001, Exists: 8002 } as const;
export type CardCode = (typeof CardCode)[keyof typeof CardCode];

export const cardCodeMessage: Record<CardCode, string> = {
  8000: 'card balance not enough',
  8001: 'card not exist',
  8002: 'card exists',
};

export type CardOp =
  | { op: 'insert'; cardId: bigint; card: Omit<Card, 'lastModifiedTime'> }
  | { op: 'update'; cardId: bigint; delta: bigint }
  | { op: 'delete'; cardId: bigint }
  | { op: 'select'; cardId: bigint };

export type CardResult = { ok: true; card?: Card } | { ok: false; code: CardCode };

export const CARD_ENTITIES = 200n;
export function cardEntity(cardId: bigint): bigint {
  return cardId % CARD_ENTITIES;
}

export const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Evaluate ops in order. `lookup` returns the committed card; mutations made by earlier ops
 * of the batch are seen by later ones. Returns results and the final value of every touched card.
 */
export function evaluateCardOps(
  ops: CardOp[],
  lookup: (cardId: bigint) => Card | undefined,
  nowSec: number,
): { results: CardResult[]; mutations: Map<bigint, Card | null> } {
  const mutations = new Map<bigint, Card | null>();
  const get = (id: bigint): Card | undefined => {
    if (mutations.has(id)) return mutations.get(id) ?? undefined;
    return lookup(id);
  };
  const results: CardResult[] = ops.map((o) => {
    const cur = get(o.cardId);
    switch (o.op) {
      case 'insert': {
        if (cur) return { ok: false, code: CardCode.Exists };
        const card: Card = { ...o.card, lastModifiedTime: nowSec };
        mutations.set(o.cardId, card);
        return { ok: true, card };
      }
      case 'update': {
        if (!cur) return { ok: false, code: CardCode.NotExist };
        const balance = cur.balance + o.delta;
        if (balance < 0n) return { ok: false, code: CardCode.NotEnough };
        if (balance > UINT64_MAX) return { ok: false, code: CardCode.NotEnough };
        const card: Card = { ...cur, balance, lastModifiedTime: nowSec };
        mutations.set(o.cardId, card);
        return { ok: true, card };
      }
      case 'delete': {
        if (!cur) return { ok: false, code: CardCode.NotExist };
        mutations.set(o.cardId, null);
        return { ok: true };
      }
      case 'select':
        return cur ? { ok: true, card: cur } : { ok: false, code: CardCode.NotExist };
    }
  });
  return { results, mutations };
}

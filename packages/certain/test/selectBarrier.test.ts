// A Select batch against a read barrier that moved past the state it was evaluated on: the
// barrier's own write-for-read chose a no-op (under load, whenever its probes were slow), or
// other entries were chosen meanwhile. The data store then holds everything up to the
// barrier's entry, so the reads are evaluated again there; no second barrier is needed.
// (Before: the whole batch ran again, behind a new barrier, up to attemptsMax = 50 times, and
// a barrier that chose a no-op every time made a plain Select fail with ERETRIES.)
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CardService, cardKey, encodeCard } from '../src/server/cardService.js';
import type { Certain } from '../src/index.js';
import type { Card } from '../src/core/card.js';

const card = (balance: bigint): Card => ({ userName: new TextEncoder().encode('rock'), userId: 1n, lastModifiedTime: 0, balance });

/** The engine surface CardService uses, over an in-memory data store of one entity. */
function fakeEngine(barrier: (mc: bigint) => { upTo: bigint; cards?: [bigint, Card][] }) {
  const data = new Map<bigint, Uint8Array>();
  const state = { maxChosen: 0n, reads: 0, writes: 0 };
  const engine = {
    tuning: { cmdTimeoutMs: 1000 },
    maxChosen: async () => state.maxChosen,
    maxCommitted: () => state.maxChosen,
    replay: async () => state.maxChosen,
    uuidReply: async () => undefined,
    whenIdle: async () => undefined,
    db: { get: async (_e: bigint, k: Uint8Array) => data.get(BigInt('0x' + Buffer.from(k).toString('hex'))) },
    read: async () => {
      state.reads++;
      const r = barrier(state.maxChosen);
      // the barrier applied everything up to its entry before it returned
      for (const [id, c] of r.cards ?? []) data.set(BigInt('0x' + Buffer.from(cardKey(id)).toString('hex')), encodeCard(c));
      state.maxChosen = r.upTo;
      return r.upTo;
    },
    write: async () => {
      state.writes++;
      throw new Error('no write expected');
    },
  };
  const put = (id: bigint, c: Card) => data.set(BigInt('0x' + Buffer.from(cardKey(id)).toString('hex')), encodeCard(c));
  return { engine: engine as unknown as Certain, state, put };
}

describe('Select batches and the read barrier', () => {
  it('a barrier that chose a no-op: answered from the state at the barrier, one barrier only', async () => {
    const f = fakeEngine((mc) => ({ upTo: mc + 1n })); // every barrier adds one no-op entry
    f.put(5n, card(200n));
    const svc = new CardService(f.engine, pino({ level: 'silent' }));
    const r = await svc.submit({ op: 'select', cardId: 5n });
    expect(r).toMatchObject({ ok: true });
    expect(r.ok && r.card?.balance).toBe(200n);
    expect(f.state.reads).toBe(1);
  });

  it('entries chosen meanwhile change the card: the Select returns the state at the barrier', async () => {
    const f = fakeEngine((mc) => ({ upTo: mc + 2n, cards: [[5n, card(210n)]] }));
    f.put(5n, card(200n));
    const svc = new CardService(f.engine, pino({ level: 'silent' }));
    const r = await svc.submit({ op: 'select', cardId: 5n });
    expect(r.ok && r.card?.balance).toBe(210n);
    expect(f.state.reads).toBe(1);
    expect(f.state.writes).toBe(0);
  });
});

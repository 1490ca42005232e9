// Concurrent card operations against three card-srv processes while a seeded nemesis kills,
// pauses and partitions them (peer links through the harness proxies). The recorded history
// must be linearizable under the harness card model.
import { afterEach, describe, expect, it } from 'vitest';
import { History, checkLinearizable, cardModel, runNemesis } from '@quorumkit/test-harness';
import { CardClient, type CardReply } from '@quorumkit/certain';
import { startCardCluster, type CardCluster } from './certainCluster.js';

let cc: CardCluster | undefined;
afterEach(async () => {
  await cc?.cluster.stop();
  cc = undefined;
});

const CARDS = [11n, 211n, 12n, 13n]; // 11 and 211 share entity 11
const enc = new TextEncoder();

function outputOf(f: string, r: CardReply): unknown {
  if (!r.ok) return r.code === 8002 ? 'exists' : r.code === 8001 ? 'not_exist' : r.code === 8000 ? 'not_enough' : `code ${r.code}`;
  if (f === 'select' || f === 'update') {
    return { userName: new TextDecoder().decode(r.card!.userName), userId: r.card!.userId, balance: r.card!.balance };
  }
  return 'ok';
}

describe('certain card server under faults', () => {
  it('kills, pauses and partitions: the card history is linearizable', async () => {
    cc = await startCardCluster({ proxies: true });
    const history = new History();
    const seed = Number(process.env.SEED ?? 7);
    let rnd = seed;
    const random = () => {
      rnd = (rnd * 1103515245 + 12345) % 2147483648;
      return rnd / 2147483648;
    };
    let stop = false;
    const workers = Array.from({ length: 6 }, async (_, w) => {
      const client = new CardClient([cc!.cardAddr(0), cc!.cardAddr(1), cc!.cardAddr(2)], { deadlineMs: 4000 });
      try {
        while (!stop) {
          const cardId = CARDS[Math.floor(random() * CARDS.length)]!;
          const p = random();
          const [f, method, input] =
            p < 0.15 ? (['insert', 'InsertCard', { userName: `u${w}`, userId: BigInt(w), balance: 50n }] as const)
            : p < 0.55 ? (['update', 'UpdateCard', { delta: BigInt(Math.floor(random() * 41) - 20) }] as const)
            : p < 0.62 ? (['delete', 'DeleteCard', {}] as const)
            : (['select', 'SelectCard', {}] as const);
          const h = history.invoke(w, f, input, String(cardId));
          try {
            const r = await client.call(method, {
              cardId,
              card: f === 'insert' ? { userName: enc.encode((input as { userName: string }).userName), userId: (input as { userId: bigint }).userId, balance: 50n } : undefined,
              delta: f === 'update' ? (input as { delta: bigint }).delta : undefined,
            });
            if (!r.ok && !r.business) h.info(r.msg);
            else h.ok(outputOf(f, r));
          } catch (err) {
            // unavailable everywhere / deadline: a write may still take effect; a select did not
            if (f === 'select') h.fail(String(err));
            else h.info(String(err));
          }
        }
      } finally {
        client.close();
      }
    });
    const schedule = await runNemesis(cc.cluster, { seed, durationMs: 25_000, intervalMs: [1500, 3500], faults: ['kill', 'pause', 'partition'] });
    // the nemesis healed and restarted everything: let the workers run on a healthy cluster
    await new Promise((r) => setTimeout(r, 2000));
    stop = true;
    await Promise.all(workers);
    const ops = history.operations();
    const okCount = ops.filter((o) => o.status === 'ok').length;
    const result = checkLinearizable(history, cardModel, { timeBudgetMs: 60_000 });
    console.log(`certain faults: ${ops.length} ops, ${okCount} ok, ${ops.filter((o) => o.status === 'info').length} info; schedule:\n${schedule.join('\n')}`);
    if (result.ok !== true) console.error(schedule.join('\n'), '\n', 'message' in result ? result.message : '');
    expect(result.ok).toBe(true);
    expect(okCount).toBeGreaterThan(50);
    expect(schedule.length).toBeGreaterThan(2);
  });
});

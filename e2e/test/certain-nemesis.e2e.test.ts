// Issue 16: three real card-srv processes under a seeded nemesis that kills (-9), pauses
// (SIGSTOP), partitions the peer links and wipes one replica's disk at a time, while workers
// send concurrent updates on a few cards. Afterwards every replica must hold, for every card,
// the initial balance plus the sum of the acknowledged deltas (plus some subset of the deltas
// whose outcome the client never learnt), and the history must be linearizable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { History, cardModel, checkCounterBounds, checkLinearizable, runNemesis, startCluster, type Cluster } from '@quorumkit/test-harness';
import { CardClient } from '@quorumkit/certain';

const here = dirname(fileURLToPath(import.meta.url));
const cardSrv = join(resolve(here, '../../packages/certain'), 'dist/cli/card-srv.js');

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const CARDS = [21n, 221n, 22n, 23n]; // 21 and 221 share entity 21
const INITIAL = 1_000_000n;
const enc = new TextEncoder();

/**
 * Each replica in its own node directory (-p nodeDir(i)), so the nemesis' wipe deletes the
 * whole replica: stores and identity. --bootstrap only on a node's very first start: a wiped
 * replica must come back as a recovering learner, never bootstrap itself again.
 */
async function startNodes(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'certain-nemesis-'));
  const started = new Set<number>();
  return startCluster({
    nodes: 3,
    ports: 2, // [0] peer listener, [1] card service
    dataDir: dir,
    proxies: true,
    readyWhen: /card-srv \d ready/,
    readyTimeoutMs: 60_000,
    spec: (i, ports, link) => {
      const conf = join(dir, `node${i}.conf`);
      writeFileSync(conf, [
        `ServerAddrs = ${[0, 1, 2].map((j) => `127.0.0.1:${j === i ? ports[i]![0] : link(i, j)}`).join(', ')}`,
        `CardAddrs = ${[0, 1, 2].map((j) => `127.0.0.1:${ports[j]![1]}`).join(', ')}`,
        'AcceptorNum = 3',
        'CmdTimeoutMS = 3000',
        'LogLevel = info',
      ].join('\n'));
      const first = !started.has(i);
      started.add(i);
      return { command: process.execPath, args: [cardSrv, '-c', conf, '-p', join(dir, `node${i}`), '-i', String(i), ...(first ? ['--bootstrap'] : [])] };
    },
  });
}

const addr = (c: Cluster, i: number) => `127.0.0.1:${c.ports[i]![1]}`;

/** Read a card's balance on one replica (a linearizable Select there), retried while it recovers. */
async function balanceOn(c: Cluster, i: number, cardId: bigint): Promise<bigint> {
  const only: (string | undefined)[] = [undefined, undefined, undefined];
  only[i] = addr(c, i);
  const client = new CardClient(only, { deadlineMs: 4000, attemptsMax: 1 });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const r = await client.call('SelectCard', { cardId });
        if (r.ok && r.card) return r.card.balance;
        throw new Error(`select ${cardId} on ${i}: ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    client.close();
  }
}

describe('certain under a nemesis with disk wipes', () => {
  it('kill -9, SIGSTOP, partitions, one disk wipe at a time: every replica holds the acknowledged deltas', async () => {
    cluster = await startNodes();
    const c = cluster;
    const seed = Number(process.env.SEED ?? 16);
    const history = new History();
    const setup = new CardClient([addr(c, 0), addr(c, 1), addr(c, 2)], { deadlineMs: 5000 });
    try {
      for (const id of CARDS) {
        const h = history.invoke(99, 'insert', { userName: `c${id}`, userId: id, balance: INITIAL }, String(id));
        const r = await setup.call('InsertCard', { cardId: id, card: { userName: enc.encode(`c${id}`), userId: id, balance: INITIAL } });
        expect(r.ok).toBe(true);
        h.ok('ok');
      }
    } finally {
      setup.close();
    }
    let rnd = seed;
    const random = () => {
      rnd = (rnd * 1103515245 + 12345) % 2147483648;
      return rnd / 2147483648;
    };
    let stop = false;
    const workers = Array.from({ length: 5 }, async (_, w) => {
      const client = new CardClient([addr(c, 0), addr(c, 1), addr(c, 2)], { deadlineMs: 4000 });
      try {
        while (!stop) {
          const cardId = CARDS[Math.floor(random() * CARDS.length)]!;
          if (random() < 0.2) {
            const h = history.invoke(w, 'select', null, String(cardId));
            try {
              const r = await client.call('SelectCard', { cardId });
              if (r.ok && r.card) h.ok({ userName: `c${cardId}`, userId: cardId, balance: r.card.balance });
              else h.fail(r.ok ? 'no card' : r.msg);
            } catch (err) {
              h.fail(String(err));
            }
            continue;
          }
          const delta = BigInt(Math.floor(random() * 41) - 20) || 1n;
          const h = history.invoke(w, 'update', { delta }, String(cardId));
          try {
            const r = await client.call('UpdateCard', { cardId, delta });
            if (r.ok && r.card) h.ok({ userName: `c${cardId}`, userId: cardId, balance: r.card.balance });
            else if (!r.ok && r.business) h.ok(r.code === 8000 ? 'not_enough' : r.code === 8001 ? 'not_exist' : `code ${r.code}`);
            else h.info(r.ok ? 'ok without card' : r.msg); // refused by overload after an unknown attempt
          } catch (err) {
            h.info(String(err)); // unknown outcome: may or may not have been applied
          }
        }
      } finally {
        client.close();
      }
    });
    // a wiped replica re-learns before the next fault: it must hear every other replica
    const waitRecovered = async (i: number) => {
      await balanceOn(c, i, CARDS[0]!);
    };
    const schedule = await runNemesis(c, {
      seed,
      durationMs: Number(process.env.CERTAIN_NEMESIS_MS ?? 35_000),
      intervalMs: [1500, 3000],
      faults: ['kill', 'pause', 'partition', 'wipe'],
      diskFaultsMaxAtOnce: 1,
      waitRecovered,
    });
    // and at least one disk wipe whatever the seed picked, under the same load
    schedule.push(...(await runNemesis(c, { seed: seed + 1, durationMs: 10_000, intervalMs: [1000, 2000], faults: ['wipe'], steps: 1, waitRecovered })));
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(workers);
    const ops = history.operations();
    const acked = ops.filter((o) => o.f === 'update' && o.status === 'ok').length;
    console.log(`certain nemesis: ${ops.length} ops, ${acked} acknowledged updates, ${ops.filter((o) => o.status === 'info').length} unknown; schedule:\n${schedule.join('\n')}`);
    expect(schedule.some((l) => l.includes('wipe'))).toBe(true);
    expect(acked).toBeGreaterThan(30);
    // every replica: balance == initial + acknowledged deltas (+ a subset of unknown ones)
    for (let i = 0; i < 3; i++) {
      const finals: Record<string, bigint> = {};
      for (const id of CARDS) finals[String(id)] = await balanceOn(c, i, id);
      const res = checkCounterBounds(history, finals, {
        deltaFs: ['update'], initial: INITIAL,
        // an update refused by a business rule changed nothing
        deltaOf: (op) => (typeof op.output === 'string' ? 0n : (op.input as { delta: bigint }).delta),
      });
      if (!res.ok) console.error(`replica ${i}:\n${res.problems.join('\n')}\n${schedule.join('\n')}`);
      expect(res.problems).toEqual([]);
    }
    // and the history is linearizable
    const result = checkLinearizable(history, cardModel, { timeBudgetMs: 60_000 });
    if (result.ok !== true) console.error('message' in result ? result.message : result);
    expect(result.ok).toBe(true);
  }, 180_000);
});

// Issue 16 bug 2 with real card-srv processes: stop one server, update, kill -9 another and
// delete its datadb_N/logdb_N, restart it, bring the first back. The acknowledged +1 must be on
// every server, and entry 2 must hold it everywhere (before recovery mode, the wiped server
// voted at once and entry 2 ended as +1 on one server and a no-op on the other two).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CardClient } from '@quorumkit/certain';
import { startCardCluster, type CardCluster } from './certainCluster.js';

let cc: CardCluster | undefined;
afterEach(async () => {
  await cc?.cluster.stop();
  cc = undefined;
});

async function waitLog(c: CardCluster, i: number, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!c.cluster.output(i).includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(c.cluster.output(i)).toContain(text);
}

describe('certain: a wiped replica does not vote before it has recovered', () => {
  it('keeps an acknowledged update through stop one / kill -9 + wipe another / restart both', async () => {
    cc = await startCardCluster();
    const card = 7n; // entity 7
    const all = new CardClient([cc.cardAddr(0), cc.cardAddr(1), cc.cardAddr(2)]);
    try {
      const ins = await all.call('InsertCard', { cardId: card, card: { userName: new TextEncoder().encode('w'), userId: 1n, balance: 100n } });
      expect(ins.ok).toBe(true);
    } finally {
      all.close();
    }
    await cc.cluster.kill(2, 'SIGTERM'); // stop one server
    const via01 = new CardClient([cc.cardAddr(0), cc.cardAddr(1)]);
    try {
      const up = await via01.call('UpdateCard', { cardId: card, delta: 1n });
      expect(up.ok && up.card?.balance).toBe(101n); // acknowledged
    } finally {
      via01.close();
    }
    await cc.cluster.kill(1, 'SIGKILL'); // kill -9 another and delete its stores
    await rm(join(cc.dir, 'datadb_1'), { recursive: true, force: true });
    await rm(join(cc.dir, 'logdb_1'), { recursive: true, force: true });
    await cc.cluster.start(1);
    await cc.cluster.start(2); // bring the first back
    // server 1 refuses card commands until it has the horizon of both others and learnt it
    await waitLog(cc, 1, 'recovered: voting again');
    for (const i of [0, 1, 2]) {
      const only = new CardClient([cc.cardAddr(i)]);
      try {
        const deadline = Date.now() + 30_000;
        let r = await only.call('SelectCard', { cardId: card });
        while (!r.ok && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 200));
          r = await only.call('SelectCard', { cardId: card });
        }
        expect(r.ok && r.card?.balance).toBe(101n);
      } finally {
        only.close();
      }
    }
    // and a write through the server that was down lands on top of the acknowledged one
    const via2 = new CardClient([cc.cardAddr(2)]);
    try {
      const up = await via2.call('UpdateCard', { cardId: card, delta: 1n });
      expect(up.ok && up.card?.balance).toBe(102n);
    } finally {
      via2.close();
    }
  });
});

// certain across hosts: three card-srv on 10.77.0.1-3, all on peer port 7010 and card port
// 7020, one config for every host (static membership). The tour's card walkthrough (insert,
// select, update, delete) on three cards, then host 0 cut off (its link down) while the
// other two keep serving, healed, and every card read through host 0 alone. The whole
// history must be linearizable (cardModel).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cardModel, checkLinearizable, History } from '@quorumkit/test-harness';
import { cli, eventually, startOnHosts, type Ctx } from './common.js';

export const CERTAIN_PEER_PORT = 7010;
export const CERTAIN_CARD_PORT = 7020;

interface Reply {
  ok: boolean;
  code: number;
  msg: string;
  card?: { userName: string; userId: string; balance: string };
}
const BUSINESS: Record<number, string> = { 8000: 'not_enough', 8001: 'not_exist', 8002: 'exists' };
const METHOD = { insert: 'InsertCard', update: 'UpdateCard', delete: 'DeleteCard', select: 'SelectCard' } as const;
type F = keyof typeof METHOD;

export async function certainScenario(ctx: Ctx): Promise<{ ops: number }> {
  const { hosts, agent, log } = ctx;
  const peers = [0, 1, 2].map((i) => `${hosts.addr(i)}:${CERTAIN_PEER_PORT}`);
  const cards = [0, 1, 2].map((i) => `${hosts.addr(i)}:${CERTAIN_CARD_PORT}`);
  const { cluster } = await startOnHosts(ctx, {
    name: 'certain',
    nodes: 3,
    script: cli('certain', 'card-srv'),
    prepare: (dir) =>
      writeFileSync(join(dir, 'cluster.conf'), `ServerAddrs = ${peers.join(', ')}\nCardAddrs = ${cards.join(', ')}\nAcceptorNum = 3\nEnablePreAuth = true\nLocalAcceptFirst = true\n`),
    args: (i, nodeDir, dir) => ['-c', join(dir, 'cluster.conf'), '-p', nodeDir, '-i', String(i), '--bootstrap'],
    readyWhen: /card-srv \d ready/,
  });
  log(`certain: 3 card-srv up, peers ${peers.join(' ')}, cards ${cards.join(' ')}`);
  const history = new History();

  async function op(f: F, cardId: number, input: Record<string, string> | null, addrs: (string | null)[] = cards): Promise<Reply | undefined> {
    const h = history.invoke('client', f, input, `card${cardId}`);
    try {
      const r = await agent.call<Reply>('card', { addrs, method: METHOD[f], cardId: String(cardId), ...(f === 'insert' ? { card: input } : {}), ...(f === 'update' ? { delta: input!.delta } : {}) }, 45_000);
      if (r.ok) h.ok(f === 'select' ? r.card : f === 'update' ? (r.card ? { balance: r.card.balance } : undefined) : 'ok');
      else if (BUSINESS[r.code]) h.ok(BUSINESS[r.code]);
      else h.info(`code(${r.code}) ${r.msg}`);
      log(`  ${f} card ${cardId} via ${addrs.filter(Boolean).length} server(s): ${r.ok ? 'ok' : `code(${r.code}) ${r.msg}`}${r.card ? ` balance=${r.card.balance}` : ''}`);
      return r;
    } catch (e) {
      h.info(String(e));
      log(`  ${f} card ${cardId}: ${String(e)}`);
      return undefined;
    }
  }
  const expectReply = (r: Reply | undefined, what: string, test: (r: Reply) => boolean): void => {
    if (!r || !test(r)) throw new Error(`certain: ${what}: got ${JSON.stringify(r)}`);
  };

  const ids = [101, 102, 103];
  for (const id of ids) {
    const card = { userName: 'rock', userId: String(20170000 + id), balance: '200' };
    expectReply(await op('insert', id, card), `insert ${id}`, (r) => r.ok);
    expectReply(await op('insert', id, card), `second insert ${id}`, (r) => r.code === 8002);
    expectReply(await op('select', id, null), `select ${id}`, (r) => r.card?.balance === '200');
    expectReply(await op('update', id, { delta: '10' }), `update ${id}`, (r) => r.card?.balance === '210');
  }

  hosts.cut(0);
  log('certain: host 0 cut off (eth0 down in its namespace)');
  for (const id of ids) expectReply(await op('update', id, { delta: '5' }), `update ${id} with host 0 cut`, (r) => r.card?.balance === '215');
  expectReply(await op('delete', 103, null), 'delete 103 with host 0 cut', (r) => r.ok);
  expectReply(await op('select', 103, null), 'select 103 after delete', (r) => r.code === 8001);

  hosts.heal(0);
  log('certain: host 0 healed');
  const only0 = [cards[0]!, null, null];
  for (const id of [101, 102]) {
    await eventually(`card ${id} read through host 0 alone`, 90_000, async () => {
      const r = await op('select', id, null, only0);
      return r?.ok && r.card?.balance === '215' ? r : undefined;
    });
  }
  expectReply(await op('select', 103, null, only0), 'select 103 through host 0', (r) => r.code === 8001);
  if (!cluster.isUp(0) || !cluster.isUp(1) || !cluster.isUp(2)) throw new Error('certain: a server exited during the scenario');
  await cluster.stop();

  const res = checkLinearizable(history, cardModel);
  if (res.ok !== true) throw new Error(`certain: history not linearizable: ${'message' in res ? res.message : JSON.stringify(res)}`);
  return { ops: history.operations().length };
}

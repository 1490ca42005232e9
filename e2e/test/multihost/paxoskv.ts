// paxoskv across hosts: three acceptors on 10.77.0.1-3, all on port 7030, created with
// --bootstrap and --peers (static membership). The tour's set/get, then host 2 cut off while
// a majority keeps deciding, healed, and more writes and reads. Checked with kvModel.
import { join } from 'node:path';
import { checkLinearizable, History, kvModel } from '@quorumkit/test-harness';
import { cli, startOnHosts, type Ctx } from './common.js';

export const PAXOSKV_PORT = 7030;

export async function paxoskvScenario(ctx: Ctx): Promise<{ ops: number }> {
  const { hosts, agent, log } = ctx;
  const acceptors = [0, 1, 2].map((i) => `${hosts.addr(i)}:${PAXOSKV_PORT}`);
  const { cluster } = await startOnHosts(ctx, {
    name: 'paxoskv',
    nodes: 3,
    script: cli('paxoskv', 'paxoskv'),
    args: (i, nodeDir) => ['serve', '--id', String(i), '--listen', acceptors[i]!, '--data', join(nodeDir, 'data'), '--bootstrap', '--peers', acceptors.join(',')],
    readyWhen: /acceptor \d listening on/,
  });
  log(`paxoskv: 3 acceptors up at ${acceptors.join(' ')}`);
  const history = new History();
  const set = async (key: string, value: string): Promise<void> => {
    const r = await history.record('client', 'put', value, key, () => agent.call<{ written: boolean; ver: string; value: string }>('kv', { acceptors, op: 'set', key, value }, 30_000));
    log(`  set ${key} ${value}: written ver ${r.ver}`);
    if (!r.written) throw new Error(`paxoskv: set ${key} ${value} not written: ${JSON.stringify(r)}`);
  };
  const get = async (key: string, want: string): Promise<void> => {
    const h = history.invoke('client', 'get', null, key);
    let r: { ver: string; value: string } | null;
    try {
      r = await agent.call<{ ver: string; value: string } | null>('kv', { acceptors, op: 'get', key }, 30_000);
    } catch (e) {
      h.info(String(e));
      throw e;
    }
    h.ok(r ? r.value : null);
    log(`  get ${key}: ${r ? `${r.value} (ver ${r.ver})` : 'not found'}`);
    if (r?.value !== want) throw new Error(`paxoskv: get ${key} read ${JSON.stringify(r)}, want ${want}`);
  };

  await set('foo', '5');
  await get('foo', '5');
  await set('foo', '6');
  await get('foo', '6');
  await set('bar', 'x1');

  hosts.cut(2);
  log('paxoskv: host 2 cut off');
  await set('foo', '7');
  await get('foo', '7');
  await set('bar', 'x2');
  await get('bar', 'x2');

  hosts.heal(2);
  log('paxoskv: host 2 healed');
  await set('foo', '8');
  await get('foo', '8');
  await get('bar', 'x2');
  if (![0, 1, 2].every((i) => cluster.isUp(i))) throw new Error('paxoskv: an acceptor exited during the scenario');
  await cluster.stop();

  const res = checkLinearizable(history, kvModel);
  if (res.ok !== true) throw new Error(`paxoskv: history not linearizable: ${'message' in res ? res.message : JSON.stringify(res)}`);
  return { ops: history.operations().length };
}

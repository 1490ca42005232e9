// constdb across hosts: three nodes on 10.77.0.1-3, all on port 7050, sharing a requirepass
// (clients and peers), joined by MEET. INCRs on every node; host 2 is cut off and, while
// cut, takes INCRs from a client inside its own namespace as the other two take theirs
// (active-active); healed, every node must end with the same state (checkConverged) and
// the counter must equal the number of acknowledged INCRs.
import { checkConverged } from '@quorumkit/test-harness';
import { cli, eventually, startOnHosts, type Ctx } from './common.js';
import { Agent } from './agentClient.js';

export const CONSTDB_PORT = 7050;
const PASSWORD = 'multihost-e2e-requirepass';

/** HGETALL's flat [field, value, ...] as sorted `field=value` (nodes may list fields in different orders). */
function fields(flat: string[]): string {
  const out: string[] = [];
  for (let k = 0; k + 1 < flat.length; k += 2) out.push(`${flat[k]}=${flat[k + 1]}`);
  return out.sort().join(',');
}

export async function constdbScenario(ctx: Ctx): Promise<{ incrs: number }> {
  const { hosts, agent, log } = ctx;
  const { cluster } = await startOnHosts(ctx, {
    name: 'constdb',
    nodes: 3,
    script: cli('constdb', 'constdb-server'),
    args: (i, nodeDir) => ['--node-id', String(i + 1), '--ip', hosts.addr(i), '--port', String(CONSTDB_PORT), '--work-dir', nodeDir, '--requirepass', PASSWORD, '--appendonly', 'yes', '--appendfsync', 'always'],
    readyWhen: /constdb node \d ready on/,
  });
  log(`constdb: 3 nodes up on port ${CONSTDB_PORT}`);
  // a client inside host 2's namespace still reaches node 2 while host 2 is cut off
  const local2 = await Agent.start(hosts, 2);
  try {
    const redis = (via: Agent, i: number, ...args: string[]): Promise<string | string[] | null> =>
      via.call<string | string[] | null>('redis', { host: hosts.addr(i), port: CONSTDB_PORT, password: PASSWORD, args }, 20_000);
    for (const i of [1, 2]) {
      const met = await redis(agent, i, 'MEET', `${hosts.addr(0)}:${CONSTDB_PORT}`);
      log(`  node ${i + 1} MEET node 1: ${String(met)}`);
      if (!['1', 'OK'].includes(String(met))) throw new Error(`constdb: MEET on node ${i + 1} replied ${String(met)}`);
    }
    let acked = 0;
    const incr = async (via: Agent, i: number): Promise<void> => {
      await redis(via, i, 'INCR', 'hits');
      acked++;
    };
    for (const i of [0, 1, 2]) await incr(agent, i);
    await redis(agent, 0, 'HSET', 'h1', 'k1', 'v1');
    const state = async (via: (i: number) => Agent): Promise<unknown[]> =>
      Promise.all([0, 1, 2].map(async (i) => ({ hits: await redis(via(i), i, 'GET', 'hits'), h1: fields((await redis(via(i), i, 'HGETALL', 'h1')) as string[]) })));
    const converged = async (what: string, via: (i: number) => Agent): Promise<unknown[]> =>
      eventually(what, 60_000, async () => {
        const s = await state(via);
        return checkConverged(s).ok && (s[0] as { hits: string }).hits === String(acked) ? s : undefined;
      });
    await converged('every node to see 3 INCRs and h1', () => agent);
    log(`  before the cut: hits=${acked} on every node`);

    hosts.cut(2);
    log('constdb: host 2 cut off; INCRs on nodes 1 and 2 from outside, on node 3 from inside its namespace');
    for (let k = 0; k < 3; k++) {
      await incr(agent, 0);
      await incr(agent, 1);
      await incr(local2, 2);
    }
    await redis(local2, 2, 'HSET', 'h1', 'k3', 'v3');
    await redis(agent, 1, 'HSET', 'h1', 'k2', 'v2');
    const cutView = await redis(local2, 2, 'GET', 'hits');
    log(`  node 3 alone sees hits=${String(cutView)}`);
    if (Number(cutView) >= acked) throw new Error(`constdb: node 3 saw ${String(cutView)} INCRs while cut off (of ${acked}): the cut did not cut`);

    hosts.heal(2);
    log('constdb: host 2 healed');
    const final = await converged(`every node to see ${acked} INCRs and the same h1`, () => agent);
    log(`  after the heal: ${JSON.stringify(final[0])} on every node`);
    const res = checkConverged(final, undefined, { names: ['node1', 'node2', 'node3'] });
    if (!res.ok) throw new Error(`constdb: not converged: ${res.diffs.join('; ')}`);
    if (![0, 1, 2].every((i) => cluster.isUp(i))) throw new Error('constdb: a node exited during the scenario');
    await cluster.stop();
    return { incrs: acked };
  } finally {
    await local2.stop();
  }
}

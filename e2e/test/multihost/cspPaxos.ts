// csp-paxos across hosts: five nodes on 10.77.0.1-5, all on client port 7060 (peer port 7061),
// one committee config naming every host, peers authenticated with a shared HMAC secret.
// Client values are proposed (through any node: followers forward to the leader); host 0,
// the first leader, is cut off while the four others elect a new leader and keep
// committing; healed, host 0 catches up. The instance logs must pass the seed's three rules
// (checkLogPrefix) with every node committing every value.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLogPrefix, type CommitLog } from '@quorumkit/test-harness';
import { cli, eventually, startOnHosts, type Ctx } from './common.js';

export const CSP_CLIENT_PORT = 7060;
const GEN = /^generate Instance\[(.*?)\] in seq (\d+) at (\d+)$/;
const COM = /^commit Instance\[(.*?)\] in seq (\d+) at (\d+)$/;

function commitLog(file: string, node: number): CommitLog {
  const log: CommitLog = { node, generated: [], committed: [] };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const c = COM.exec(line);
    const g = GEN.exec(line);
    if (c) log.committed.push({ key: c[1]!, slot: Number(c[2]) });
    else if (g) log.generated.push({ key: g[1]!, slot: Number(g[2]) });
    else throw new Error(`csp-paxos node ${node}: a log line matches neither rule: ${line}`);
  }
  return log;
}

export async function cspPaxosScenario(ctx: Ctx): Promise<{ proposed: number; commits: number[] }> {
  const { hosts, agent, log } = ctx;
  const n = 5;
  const all = Array.from({ length: n }, (_, i) => hosts.addr(i));
  const { cluster, dir } = await startOnHosts(ctx, {
    name: 'csp-paxos',
    nodes: n,
    script: cli('csp-paxos', 'csp-paxos'),
    prepare: (d) => {
      writeFileSync(join(d, 'peer.secret'), 'multihost-e2e-peer-secret-0123456789\n');
      chmodSync(join(d, 'peer.secret'), 0o600);
      for (let i = 0; i < n; i++) {
        const committee = all.map((host, id) => ({ id, host, port: CSP_CLIENT_PORT }));
        writeFileSync(join(d, `node${i}.json`), JSON.stringify({ id: i, n, f: 2, port: CSP_CLIENT_PORT, committee, secretFile: join(d, 'peer.secret') }));
      }
    },
    // -t bounds the run: the nodes stop by themselves even if the test dies
    args: (i, nodeDir, d) => ['node', '--config', join(d, `node${i}.json`), '--log-dir', nodeDir, '--bootstrap', '--no-generate', '-o', '1', '-t', '150'],
    readyWhen: /csp-paxos node \d listening on/,
  });
  log(`csp-paxos: 5 nodes up at ${all.join(' ')} port ${CSP_CLIENT_PORT}`);
  let proposed = 0;
  const proposeSome = async (count: number, hostsToAsk: string[]): Promise<void> => {
    for (let k = 0; k < count; k++) {
      const slot = await agent.call<number>('propose', { hosts: hostsToAsk, port: CSP_CLIENT_PORT, data: `multihost-${proposed}`, timeoutMs: 30_000 }, 40_000);
      log(`  propose multihost-${proposed}: committed in seq ${slot}`);
      proposed++;
    }
  };
  await proposeSome(5, all);
  hosts.cut(0);
  log('csp-paxos: host 0 cut off');
  await proposeSome(5, all.slice(1));
  hosts.heal(0);
  log('csp-paxos: host 0 healed');
  await proposeSome(5, all);
  const statuses = await eventually('every node to commit every proposed value', 90_000, async () => {
    const s = await Promise.all(all.map((host) => agent.call<{ commitIndex: number; voting: boolean }>('cspStatus', { host, port: CSP_CLIENT_PORT }, 10_000)));
    return s.every((x) => x.commitIndex >= proposed) ? s : undefined;
  });
  log(`  commit index per node: ${statuses.map((s) => s.commitIndex).join(' ')}`);
  for (let i = 0; i < n; i++) await cluster.kill(i, 'SIGTERM');
  const res = checkLogPrefix(
    Array.from({ length: n }, (_, i) => commitLog(join(dir, `node${i}`, `instancelog${i}.log`), i)),
    { nodesThatMustCommit: [0, 1, 2, 3, 4] },
  );
  if (!res.ok) throw new Error(`csp-paxos: logs break the rules: ${[...res.rule1, ...res.rule2, ...res.rule3].slice(0, 10).join('; ')}`);
  await cluster.stop();
  return { proposed, commits: res.commits.map((c) => c.count) };
}

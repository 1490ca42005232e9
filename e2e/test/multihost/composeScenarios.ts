// What the compose-run test does with each system's compose cluster: form it (first start
// with QK_BOOTSTRAP=yes, health checks green), use it, then the docs' "replace a wiped node"
// procedure (restart one node on an empty /data WITHOUT bootstrap), and use it again.
import { checkConverged, checkUniqueIncreasing, waitFor } from '@quorumkit/test-harness';
import { Agent } from './agentClient.js';
import { composePods, startPods, waitHealthy, type PodCluster } from './composeRun.js';
import { k8sPods } from './k8sRun.js';
import { createHosts, type Hosts } from './netns.js';

export const PASSWORD = 'compose-run-requirepass-0123456789';
const READY: Record<string, RegExp> = {
  certain: /card-srv \d ready/,
  paxoskv: /acceptor \d listening on/,
  rrseq: /^ready$/m,
  constdb: /constdb node \d ready on/,
  'csp-paxos': /csp-paxos node \d listening on/,
};
const TAG: Record<string, string> = { certain: 'c', paxoskv: 'p', rrseq: 'r', constdb: 'd', 'csp-paxos': 'x' };

export interface Run {
  hosts: Hosts;
  agent: Agent;
  c: PodCluster;
}

/** Forms the cluster a compose file or a Kubernetes manifest describes, in namespaces. */
export async function formCluster(system: string, from: 'compose' | 'k8s', track: (r: Partial<Run>) => void): Promise<Run> {
  const k8s = from === 'k8s' ? k8sPods(system, PASSWORD) : undefined;
  const { pods, files } = k8s ?? composePods(system, { QK_REQUIREPASS: PASSWORD });
  const hosts = createHosts(pods.length, `${TAG[system]!}${from === 'k8s' ? 'k' : ''}`, pods.map((p) => p.ip), k8s?.hostsFile);
  track({ hosts });
  const agent = await Agent.start(hosts);
  track({ agent });
  const c = await startPods(hosts, pods, files, READY[system]!);
  track({ c });
  await waitHealthy(c, c.services.map((_, i) => i));
  return { hosts, agent, c };
}

const outputOf = (r: Run, i: number): string => r.c.cluster.output(i);

export async function certainFlow(r: Run): Promise<string> {
  const cards = r.c.services.map((s) => `${s.ip}:7020`);
  const call = (method: string, extra: Record<string, unknown>, addrs: (string | null)[] = cards) =>
    r.agent.call<{ ok: boolean; code: number; card?: { balance: string } }>('card', { addrs, method, cardId: '12358', ...extra }, 45_000);
  const ins = await call('InsertCard', { card: { userName: 'rock', userId: '20170001', balance: '200' } });
  if (!ins.ok) throw new Error(`insert: ${JSON.stringify(ins)}`);
  await r.c.restart(0, { wipe: true });
  await waitFor(() => /recovered: voting again/.test(outputOf(r, 0)), { timeoutMs: 90_000, what: 'certain0 to re-learn' });
  await waitHealthy(r.c, [0]);
  const sel = await call('SelectCard', {}, [cards[0]!, null, null]);
  if (sel.card?.balance !== '200') throw new Error(`select through the wiped replica: ${JSON.stringify(sel)}`);
  return 'insert, wipe certain0, re-learnt, select through it: balance=200';
}

export async function paxoskvFlow(r: Run): Promise<string> {
  const acceptors = r.c.services.map((s) => `${s.ip}:7030`);
  const kv = (op: string, key: string, value?: string) => r.agent.call<{ value: string } | null>('kv', { acceptors, op, key, value, clusterId: 'quorumkit-paxoskv' }, 30_000);
  await kv('set', 'foo', '5');
  await r.c.restart(2, { wipe: true });
  await waitFor(() => /acceptor 2 recovered: voting again/.test(outputOf(r, 2)), { timeoutMs: 90_000, what: 'paxoskv2 to re-learn' });
  await waitHealthy(r.c, [2]);
  await kv('set', 'foo', '6');
  const got = await kv('get', 'foo');
  if (got?.value !== '6') throw new Error(`get foo: ${JSON.stringify(got)}`);
  return 'set, wipe paxoskv2, re-learnt, set/get: 6';
}

export async function rrseqFlow(r: Run): Promise<string> {
  const addrs = r.c.services.map((s) => `${s.ip}:7040`);
  const ids: bigint[] = [];
  const take = async (n: number) => ids.push(...(await r.agent.call<string[]>('ids', { client: 'c', addrs, name: 'compose', bufSize: 2, count: n }, 60_000)).map(BigInt));
  await take(10);
  await r.c.restart(1, { wipe: true });
  await waitHealthy(r.c, [1]);
  await take(10);
  const res = checkUniqueIncreasing({ c: ids });
  if (!res.ok || res.total !== 20) throw new Error(`rrseq IDs: ${JSON.stringify(res, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  return `20 IDs, wiped rrseq-1 rejoined, none twice (last ${ids[ids.length - 1]})`;
}

export async function constdbFlow(r: Run, joinCommand: string[]): Promise<string> {
  const join = r.c.runInClient(['qk-start', ...joinCommand]);
  if (join.code !== 0) throw new Error(`constdb-join: ${join.out}`);
  const redis = (i: number, ...args: string[]) => r.agent.call<string | null>('redis', { host: r.c.services[i]!.ip, port: 7050, password: PASSWORD, args }, 20_000);
  for (const i of [0, 1, 2]) await redis(i, 'INCR', 'hits');
  const converged = async (want: string): Promise<void> => {
    let seen: unknown[] = [];
    try {
      await waitFor(
        async () => {
          seen = await Promise.all([0, 1, 2].map((i) => redis(i, 'GET', 'hits')));
          return checkConverged(seen).ok && seen[0] === want;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: `every node to read hits=${want}` },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; read ${JSON.stringify(seen)}`);
    }
  };
  await converged('3');
  await r.c.restart(2, { wipe: true });
  await waitHealthy(r.c, [2]);
  // the wiped node lost constdb.peers: the join is run again, as the docs say
  const again = r.c.runInClient(['qk-start', ...joinCommand]);
  if (again.code !== 0) throw new Error(`constdb-join again: ${again.out}`);
  await redis(2, 'INCR', 'hits');
  await converged('4');
  return 'joined, 3 INCRs converged, constdb2 wiped and re-joined, 4 on every node';
}

export async function cspFlow(r: Run): Promise<string> {
  const hosts = r.c.services.map((s) => s.ip);
  const slots: number[] = [];
  const propose = async (data: string) => slots.push(await r.agent.call<number>('propose', { hosts, port: 7060, data, timeoutMs: 30_000 }, 40_000));
  for (let k = 0; k < 3; k++) await propose(`compose-${k}`);
  await r.c.restart(4, { wipe: true });
  await waitHealthy(r.c, [4]);
  await waitFor(async () => (await r.agent.call<{ voting: boolean }>('cspStatus', { host: hosts[4], port: 7060 }, 10_000)).voting, { timeoutMs: 90_000, intervalMs: 500, what: 'csp4 to vote again' });
  for (let k = 3; k < 5; k++) await propose(`compose-${k}`);
  // the re-learnt node also catches up the slots committed before and after its wipe
  let statuses: { commitIndex: number }[] = [];
  try {
    await waitFor(
      async () => {
        statuses = await Promise.all(hosts.map((host) => r.agent.call<{ commitIndex: number }>('cspStatus', { host, port: 7060 }, 10_000)));
        return statuses.every((s) => s.commitIndex >= 5);
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every node to commit the 5 values' },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; commit index ${statuses.map((s) => s.commitIndex).join(' ')}`);
  }
  return `5 values committed (slots ${slots.join(',')}), csp4 wiped and voting again; commit index ${statuses.map((s) => s.commitIndex).join(' ')}`;
}

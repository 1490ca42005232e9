// rrseq across hosts: three servers on 10.77.0.1-3, all on port 7040, server 0 forms the
// cluster with --init. Two clients (buffers 2 and 64) take IDs; host 0 is cut off, they
// keep taking IDs from the majority, host 0 is healed and they take more. No ID may be
// handed out twice and each client's IDs must increase (checkUniqueIncreasing).
import { checkUniqueIncreasing } from '@quorumkit/test-harness';
import { join } from 'node:path';
import { cli, startOnHosts, type Ctx } from './common.js';

export const RRSEQ_PORT = 7040;

export async function rrseqScenario(ctx: Ctx): Promise<{ ids: number }> {
  const { hosts, agent, log } = ctx;
  const addrs = [0, 1, 2].map((i) => `${hosts.addr(i)}:${RRSEQ_PORT}`);
  const { cluster } = await startOnHosts(ctx, {
    name: 'rrseq',
    nodes: 3,
    script: cli('rrseq', 'rrseq-server'),
    args: (i, nodeDir) => [...(i === 0 ? ['--init'] : []), addrs[i]!, join(nodeDir, 'persist'), ...addrs.filter((_, j) => j !== i)],
    readyWhen: /^ready$/m,
  });
  await cluster.waitFor(() => [0, 1, 2].every((i) => /^serving$/m.test(cluster.output(i))), { timeoutMs: 60_000, what: 'every rrseq server to print serving' });
  log(`rrseq: 3 servers serving at ${addrs.join(' ')}`);
  const streams: Record<string, bigint[]> = { small: [], big: [] };
  const take = async (count: number): Promise<void> => {
    const [a, b] = await Promise.all([
      agent.call<string[]>('ids', { client: 'small', addrs, name: 'myseq', bufSize: 2, count }, 60_000),
      agent.call<string[]>('ids', { client: 'big', addrs, name: 'myseq', bufSize: 64, count }, 60_000),
    ]);
    streams.small!.push(...a.map(BigInt));
    streams.big!.push(...b.map(BigInt));
    log(`  took ${count} + ${count}: small ends at ${a[a.length - 1]}, big ends at ${b[b.length - 1]}`);
  };
  await take(20);
  hosts.cut(0);
  log('rrseq: host 0 cut off');
  await take(20);
  hosts.heal(0);
  log('rrseq: host 0 healed');
  await take(20);
  if (![0, 1, 2].every((i) => cluster.isUp(i))) throw new Error('rrseq: a server exited during the scenario');
  await cluster.stop();
  const res = checkUniqueIncreasing(streams);
  if (!res.ok) throw new Error(`rrseq: duplicates ${res.duplicates.join(',')}; not increasing: ${res.nonIncreasing.join('; ')}`);
  return { ids: res.total };
}

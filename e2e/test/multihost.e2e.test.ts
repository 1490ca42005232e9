// Every system across "hosts": one network namespace per node (10.77.0.1-5 on a bridge in
// a hub namespace, all created here), every node of a system on the SAME port at its own
// address, the tour's operations through a client in its own namespace, one host cut off
// for real (its link down) and healed, and the result checked with the harness checkers.
// Nothing touches the machine's own network namespace. Needs root and `ip netns`; without
// them the file skips and says why. Systems run one after another with small counts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopAllClusters } from '@quorumkit/test-harness';
import { Agent } from './multihost/agentClient.js';
import { certainScenario } from './multihost/certain.js';
import { removeDataDirs, type Ctx } from './multihost/common.js';
import { addressesOf, createHosts, destroyAllHosts, removeStaleNamespaces, unavailableReason, type Hosts } from './multihost/netns.js';

const reason = unavailableReason();
if (reason) console.warn(`multihost e2e skipped: ${reason}`);

describe.skipIf(reason !== undefined)('across hosts (network namespaces)', () => {
  let hosts: Hosts;
  let agent: Agent;
  let transcript: string[] = [];
  const ctx = (): Ctx => ({ hosts, agent, log: (l) => transcript.push(l) });

  beforeAll(async () => {
    const stale = removeStaleNamespaces();
    if (stale.length) console.warn(`multihost: removed namespaces left by dead runs: ${stale.join(' ')}`);
    hosts = createHosts(5, 'a');
    agent = await Agent.start(hosts);
  }, 90_000);

  afterEach(async (t) => {
    for (let i = 0; i < hosts.count; i++) if (hosts.isCut(i)) hosts.heal(i);
    await stopAllClusters();
    if (t.task.result?.state === 'fail' || process.env.QUORUMKIT_MULTIHOST_VERBOSE === '1') console.error(`transcript of "${t.task.name}":\n${transcript.join('\n')}`);
    transcript = [];
  });

  afterAll(async () => {
    await agent?.stop();
    await stopAllClusters();
    destroyAllHosts();
    removeDataDirs();
  });

  it('gives every node its own address on a private bridge, and nothing to the machine', () => {
    for (let i = 0; i < hosts.count; i++) expect(addressesOf(hosts, i)).toEqual(['127.0.0.1', hosts.addr(i)]);
  });

  it('certain: card walkthrough across hosts, one host cut off and healed, linearizable', async () => {
    const r = await certainScenario(ctx());
    expect(r.ops).toBeGreaterThan(15);
  }, 240_000);
});

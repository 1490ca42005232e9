// Every system across "hosts": one network namespace per node (10.77.0.1-5 on a bridge in
// a hub namespace, all created here), every node of a system on the SAME port at its own
// address, the tour's operations through a client in its own namespace, one host cut off
// for real (its link down) and healed, and the result checked with the harness checkers.
// Nothing touches the machine's own network namespace. Needs root and `ip netns`; without
// them the file skips and says why. Systems run one after another with small counts.
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopAllClusters } from '@quorumkit/test-harness';
import { Agent } from './multihost/agentClient.js';
import { certainScenario } from './multihost/certain.js';
import { constdbScenario } from './multihost/constdb.js';
import { cspPaxosScenario } from './multihost/cspPaxos.js';
import { paxoskvScenario } from './multihost/paxoskv.js';
import { rrseqScenario } from './multihost/rrseq.js';
import { removeDataDirs, type Ctx } from './multihost/common.js';
import { SUBNET, addressesOf, createHosts, destroyAllHosts, removeStaleNamespaces, unavailableReason, type Hosts } from './multihost/netns.js';

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

  it('gives every node its own address on a private bridge, nothing to the machine, and cuts for real', async () => {
    for (let i = 0; i < hosts.count; i++) expect(addressesOf(hosts, i)).toEqual(['127.0.0.1', hosts.addr(i)]);
    expect(spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout).not.toContain(`${SUBNET}.`);
    // port 9 has no listener: 'refused' means the host answered, anything else that it did not
    const probe = (i: number): Promise<string> => agent.call<string>('connect', { host: hosts.addr(i), port: 9, timeoutMs: 4_000 }, 10_000);
    for (let i = 0; i < hosts.count; i++) expect(await probe(i)).toBe('refused');
    hosts.cut(1);
    expect(await probe(1)).not.toBe('refused');
    expect(await probe(2)).toBe('refused');
    hosts.heal(1);
    expect(await probe(1)).toBe('refused');
  }, 60_000);

  it('certain: card walkthrough across hosts, one host cut off and healed, linearizable', async () => {
    const r = await certainScenario(ctx());
    expect(r.ops).toBeGreaterThan(15);
  }, 240_000);

  it('paxoskv: set/get across hosts, one acceptor cut off and healed, linearizable', async () => {
    const r = await paxoskvScenario(ctx());
    expect(r.ops).toBe(12);
  }, 180_000);

  it('rrseq: two clients take IDs across hosts, one server cut off and healed, no ID twice', async () => {
    const r = await rrseqScenario(ctx());
    expect(r.ids).toBe(120);
  }, 180_000);

  it('constdb: INCRs on every node, one node cut off and written on both sides, converged', async () => {
    const r = await constdbScenario(ctx());
    expect(r.incrs).toBe(12);
  }, 180_000);

  it('csp-paxos: five hosts with an HMAC peer secret, the first leader cut off and healed, logs obey the rules', async () => {
    const r = await cspPaxosScenario(ctx());
    expect(r.proposed).toBe(15);
    for (const c of r.commits) expect(c).toBeGreaterThanOrEqual(15);
  }, 240_000);
});

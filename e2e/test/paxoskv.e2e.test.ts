// paxoskv on real processes: 3 acceptors started through the built CLI; concurrent KV
// clients set and get a few keys while acceptor 1 is SIGKILLed and restarted, while a
// partition cuts half of the clients from acceptor 0 and the other half from acceptor 2
// (through per-client proxied links), and while acceptor 2 is paused. The recorded
// history must be linearizable per key (kvModel).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, FaultProxy, History, checkLinearizable, kvModel, startCluster } from '@quorumkit/test-harness';
import { PaxosKvClient } from '@quorumkit/paxoskv';

const CLI = fileURLToPath(new URL('../../packages/paxoskv/dist/cli/paxoskv.js', import.meta.url));
const CLIENTS = 6;
const KEYS = ['a', 'b', 'c', 'd', 'e'];

let cluster: Cluster | undefined;
let dataDir: string | undefined;
const proxies: FaultProxy[][] = [];
const clients: PaxosKvClient[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'paxoskv-e2e-'));
  cluster = await startCluster({
    nodes: 3,
    dataDir,
    spec: (i, ports) => ({
      command: process.execPath,
      args: [CLI, 'serve', '--id', String(i), '--listen', `127.0.0.1:${ports[i]![0]}`, '--data', join(dataDir!, `node${i}`, 'acceptor'), '--bootstrap', '--peers', ports.map((p) => `127.0.0.1:${p[0]}`).join(',')],
    }),
    readyWhen: /listening on/,
  });
  for (let c = 0; c < CLIENTS; c++) {
    const row = await Promise.all(cluster.ports.map((p) => FaultProxy.start({ targetPort: p[0]! })));
    proxies.push(row);
    clients.push(new PaxosKvClient({ acceptors: row.map((p) => `127.0.0.1:${p.port}`), deadlineMs: 4_000, phaseTimeoutMs: 1_000 }));
  }
}, 120_000);

afterAll(async () => {
  clients.forEach((c) => c.close());
  await Promise.allSettled(proxies.flat().map((p) => p.close()));
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('paxoskv e2e: faults and a per-key linearizable history', () => {
  it('stays linearizable through SIGKILL + restart, a partition, and a pause', async () => {
    const c = cluster!;
    const history = new History();
    const log: string[] = [];
    let running = true;
    let okDuringFaults = 0;
    let faultActive = false;

    const worker = async (id: number): Promise<void> => {
      const client = clients[id]!;
      for (let i = 0; running; i++) {
        const key = KEYS[Math.floor(Math.random() * KEYS.length)]!;
        if (Math.random() < 0.5) {
          const value = BigInt(id * 1_000_000 + i);
          const h = history.invoke(id, 'put', value, key);
          try {
            await client.set(key, value);
            h.ok();
            if (faultActive) okDuringFaults++;
          } catch (e) {
            h.info((e as Error).message); // a write that timed out may still have been chosen
          }
        } else {
          const h = history.invoke(id, 'get', null, key);
          try {
            const r = await client.get(key);
            h.ok(r ? r.value : null);
            if (faultActive) okDuringFaults++;
          } catch (e) {
            h.fail((e as Error).message); // a read changes nothing
          }
        }
      }
    };

    const nemesis = async (): Promise<void> => {
      await sleep(2_000);
      faultActive = true;
      log.push('SIGKILL acceptor 1');
      await c.kill(1, 'SIGKILL');
      await sleep(2_500);
      log.push('restart acceptor 1');
      await c.start(1);
      await sleep(1_500);
      log.push('partition: clients 0-2 cut from acceptor 0, clients 3-5 cut from acceptor 2');
      for (let k = 0; k < CLIENTS; k++) proxies[k]![k < CLIENTS / 2 ? 0 : 2]!.block();
      await sleep(3_000);
      log.push('heal');
      for (const row of proxies) for (const p of row) p.unblock();
      await sleep(1_500);
      log.push('pause acceptor 2');
      c.pause(2);
      await sleep(2_000);
      log.push('resume acceptor 2');
      c.resume(2);
      faultActive = false;
      await sleep(2_000);
    };

    const workers = Array.from({ length: CLIENTS }, (_, i) => worker(i));
    await nemesis();
    running = false;
    await Promise.all(workers);

    // after the faults every client can still write and read
    for (const [i, client] of clients.entries()) {
      const h = history.invoke(i, 'put', -1n - BigInt(i), 'final');
      await client.set('final', -1n - BigInt(i));
      h.ok();
    }
    const fin = history.invoke(0, 'get', null, 'final');
    const last = await clients[0]!.get('final');
    fin.ok(last ? last.value : null);
    expect(last!.ver).toBe(BigInt(CLIENTS - 1));

    const ops = history.operations();
    const ok = ops.filter((o) => o.status === 'ok').length;
    const info = ops.filter((o) => o.status === 'info').length;
    console.log(`paxoskv e2e: ${ops.length} ops, ${ok} ok, ${info} indeterminate, ${okDuringFaults} ok during faults; nemesis: ${log.join(' | ')}`);
    // throughput depends on how loaded the machine is; these only prove the run did work
    expect(ok).toBeGreaterThan(40);
    expect(okDuringFaults).toBeGreaterThan(10);
    const result = checkLinearizable(history, kvModel, { timeBudgetMs: 60_000 });
    if (result.ok !== true) console.error(result);
    expect(result.ok).toBe(true);
  });
});

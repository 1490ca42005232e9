// Issue 17 item 5: a long-lived client must not ignore a restarted acceptor. Acceptor 0 is down
// for OUTAGE_MS while the client keeps writing (through 1 and 2), so its channel to acceptor 0
// goes through many failed reconnects; grpc-js's default reconnect backoff grows to minutes.
// Then acceptor 0 comes back and acceptor 1 goes down: the live majority is {0, 2}, and the
// next write must get through within the client's normal deadline, which needs the channel to
// acceptor 0 to reconnect soon after the restart (reconnect backoff capped at ~1 s).
// PAXOSKV_OUTAGE_MS sets the outage (default 40 s: at 25 s the uncapped backoff sometimes happens to retry in time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '@quorumkit/test-harness';
import { PaxosKvClient } from '@quorumkit/paxoskv';

const CLI = fileURLToPath(new URL('../../packages/paxoskv/dist/cli/paxoskv.js', import.meta.url));
const OUTAGE_MS = Number(process.env.PAXOSKV_OUTAGE_MS ?? 40_000);

let cluster: Cluster | undefined;
let dataDir: string | undefined;
let client: PaxosKvClient | undefined;
afterAll(async () => {
  client?.close();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('paxoskv e2e: a long outage of one acceptor', () => {
  it(`after a ${OUTAGE_MS / 1000} s outage the restarted acceptor is used as soon as it is needed`, async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'paxoskv-outage-'));
    cluster = await startCluster({
      nodes: 3,
      dataDir,
      readyTimeoutMs: 60_000,
      spec: (i, ports) => ({
        command: process.execPath,
        args: [CLI, 'serve', '--id', String(i), '--listen', `127.0.0.1:${ports[i]![0]}`, '--data', join(dataDir!, `node${i}`, 'acceptor'), '--bootstrap', '--peers', ports.map((p) => `127.0.0.1:${p[0]}`).join(',')],
      }),
      readyWhen: /listening on/,
    });
    const c = cluster;
    client = new PaxosKvClient({ acceptors: c.ports.map((p) => `127.0.0.1:${p[0]}`) }); // default deadline (5 s)
    await client.set('k', 'before');

    await c.kill(0);
    let during = 0;
    const until = Date.now() + OUTAGE_MS;
    for (let i = 0; Date.now() < until; i++) {
      await client.set(`k${i % 4}`, `during-${i}`); // acceptors 1 and 2 are a majority
      during++;
      await sleep(200);
    }
    expect(during).toBeGreaterThan(0);

    await c.start(0);
    await c.kill(1);
    // {0, 2} is the only majority now: this write needs the channel to acceptor 0 back
    const t0 = Date.now();
    const r = await client.set('k', 'after');
    console.log(`write after the restart took ${Date.now() - t0} ms`);
    expect(r.written).toBe(true);
    expect((await client.get('k'))!.value).toBe('after');
  }, 120_000);
});

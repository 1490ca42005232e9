// rrseq, real processes: the seed's "Experimenting" list, automated. 3 rrseq-server
// processes and rrseq-client processes with different buffers; servers are SIGKILLed,
// SIGINTed and SIGSTOPped and restarted, a persist file is deleted (while running, and while down before
// a restart), clients are killed and new ones started. Every `Got:` line of every client
// incarnation is checked: no ID twice anywhere, each incarnation strictly increasing. With
// a majority of servers down, a new client hands out nothing and says why.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkUniqueIncreasing, startCluster, type Cluster } from '@quorumkit/test-harness';
import { afterAll, describe, expect, it } from 'vitest';

const dist = (f: string): string => fileURLToPath(new URL(`../../packages/rrseq/dist/cli/${f}`, import.meta.url));
const SERVER = dist('rrseq-server.js');
const CLIENT = dist('rrseq-client.js');

// The seed's two clients (1000 / 10 ms, 1250 / 5 ms) plus unbuffered and tiny-buffer ones.
const CLIENTS: Array<[bufSize: number, delayMs: number]> = [
  [1000, 10],
  [1250, 5],
  [0, 5],
  [2, 3],
];

/** Got: lines of every incarnation of a node (an incarnation starts at its `ready` line). */
function streams(c: Cluster, i: number, prefix: string): Record<string, bigint[]> {
  const out: Record<string, bigint[]> = {};
  let inc = -1;
  for (const line of c.output(i).split('\n')) {
    if (line.trim() === 'ready') {
      inc += 1;
      out[`${prefix}${i}#${inc}`] = [];
    }
    const m = /^Got: (\d+)$/.exec(line.trim());
    if (m && inc >= 0) out[`${prefix}${i}#${inc}`]!.push(BigInt(m[1]!));
  }
  return out;
}

const gotCount = (c: Cluster, i: number): number => (c.output(i).match(/^Got: \d+$/gm) ?? []).length;

describe('rrseq e2e: the seed walkthrough and its experiments', () => {
  let dataDir: string;
  let servers: Cluster | undefined;
  let clients: Cluster | undefined;
  let late: Cluster | undefined;

  afterAll(async () => {
    await late?.stop();
    await clients?.stop();
    await servers?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('never hands out an ID twice through kills, restarts, wiped files and a majority outage', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rrseq-e2e-'));
    const persist = (i: number): string => join(dataDir, 'servers', `node${i}`, `serv${i + 1}_persist`);
    servers = await startCluster({
      nodes: 3,
      dataDir: join(dataDir, 'servers'),
      // The quickstart's form: ":PORT" addresses.
      spec: (i, ports) => ({
        command: process.execPath,
        // Server 0 forms the cluster (--init) once all three are up; on its restarts (state
        // on disk, or wiped next to ready peers) --init is a no-op or refused, never a reset.
        args: [SERVER, ...(i === 0 ? ['--init'] : []), `:${ports[i]![0]}`, persist(i), ...ports.filter((_, j) => j !== i).map((p) => `:${p[0]}`)],
      }),
      readyWhen: /^ready$/m,
    });
    const s = servers;
    const addrs = s.ports.map((p) => `:${p[0]}`);
    clients = await startCluster({
      nodes: CLIENTS.length,
      dataDir: join(dataDir, 'clients'),
      spec: (i) => ({ command: process.execPath, args: [CLIENT, 'myseq', String(CLIENTS[i]![0]), String(CLIENTS[i]![1]), ...addrs] }),
      readyWhen: /^ready$/m,
    });
    const c = clients;
    const progress = async (what: string, more = 20): Promise<void> => {
      const before = CLIENTS.map((_, i) => gotCount(c, i));
      await c.waitFor(() => CLIENTS.every((_, i) => !c.isUp(i) || gotCount(c, i) >= before[i]! + more), {
        timeoutMs: 60_000,
        what: `every running client to print ${more} more IDs after: ${what}`,
      });
    };

    await progress('start');
    await s.kill(0, 'SIGKILL');
    await progress('SIGKILL server 0');
    await s.start(0);
    await s.kill(1, 'SIGINT');
    await progress('SIGINT server 1');
    await s.start(1);
    await progress('restart servers 0 and 1');
    // A hung server (SIGSTOP): calls to it time out, clients move on to the others.
    s.pause(1);
    await progress('server 1 paused');
    s.resume(1);

    // rm a persist file while its server is down, then restart it: it must rebuild its
    // state from the other two before it serves anything.
    await s.kill(2, 'SIGKILL');
    await s.wipe(2);
    await s.start(2);
    await s.waitFor(() => /recovered \d+ sequence/.test(s.output(2)), { timeoutMs: 30_000, what: 'server 2 to recover from its peers' });
    await progress('server 2 restarted without its persist file');

    // Kill clients (hard and soft) and start new ones in their place.
    await c.kill(1, 'SIGKILL');
    await c.kill(0, 'SIGINT');
    await c.start(1);
    await c.start(0);
    await progress('clients replaced');

    // rm a persist file under a running server: its next write puts it back.
    await rm(persist(0), { force: true });
    await progress('persist file of server 0 deleted while running');
    await s.kill(2, 'SIGKILL');
    await progress('server 2 down again', 10);

    // A majority down (0 and 1, with 2 still down too at first; then only 2 comes back):
    // a client started now hands out nothing and says so.
    await s.kill(0, 'SIGKILL');
    await s.kill(1, 'SIGTERM');
    await s.start(2);
    late = await startCluster({
      nodes: 1,
      dataDir: join(dataDir, 'late'),
      spec: () => ({ command: process.execPath, args: [CLIENT, 'myseq', '0', '5', ...addrs] }),
      readyWhen: /^ready$/m,
    });
    const l = late;
    await l.waitFor(() => /^Error: .*no range/m.test(l.output(0)), { timeoutMs: 60_000, what: 'the late client to report that it gets no range' });
    expect(gotCount(l, 0)).toBe(0);
    // Unbuffered clients run dry and stop too.
    const dry = gotCount(c, 2);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(gotCount(c, 2)).toBeLessThanOrEqual(dry + 1);
    expect(gotCount(l, 0)).toBe(0);

    // The majority returns: everyone, the late client included, gets IDs again.
    await s.start(0);
    await s.start(1);
    await l.waitFor(() => gotCount(l, 0) >= 10, { timeoutMs: 60_000, what: 'the late client to get IDs once a majority is back' });
    await progress('majority back');

    await c.stop();
    await l.stop();
    const all = { ...CLIENTS.reduce((acc, _, i) => ({ ...acc, ...streams(c, i, 'client') }), {}), ...streams(l, 0, 'late') };
    const result = checkUniqueIncreasing(all);
    expect(result.duplicates).toEqual([]);
    expect(result.nonIncreasing).toEqual([]);
    expect(result.ok).toBe(true);
    expect(Object.keys(all).length).toBe(CLIENTS.length + 2 + 1);
    expect(result.total).toBeGreaterThan(500);
  });
});

// rrseq, real processes, disk loss (issue 19): the two scenarios that once slipped past the
// unit tests, and a total loss that must refuse (naming the way out) instead of restarting
// at 1, then resume above the floor given to `rrseq-admin force-recover`.
//  A. A server whose persist file was deleted restarts next to a *stale* peer only: it must
//     not serve until an up-to-date peer is back, and then only above everything issued.
//  B. A wiped server recovers, then the up-to-date peer dies: the recovered one and the stale
//     one must continue above everything issued.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startCluster, type Cluster } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';

const dist = (f: string): string => fileURLToPath(new URL(`../../packages/rrseq/dist/cli/${f}`, import.meta.url));
const SERVER = dist('rrseq-server.js');
const CLIENT = dist('rrseq-client.js');
const ADMIN = dist('rrseq-admin.js');

const ids = (c: Cluster, i: number): bigint[] => (c.output(i).match(/^Got: \d+$/gm) ?? []).map((l) => BigInt(l.slice(5)));

describe('rrseq e2e: disk loss', () => {
  const clusters: Cluster[] = [];
  let dir = '';
  afterEach(async () => {
    for (const c of clusters.splice(0).reverse()) await c.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  async function servers(): Promise<{ s: Cluster; persist: (i: number) => string; addrs: string[] }> {
    dir = await mkdtemp(join(tmpdir(), 'rrseq-disk-'));
    const persist = (i: number): string => join(dir, 'servers', `node${i}`, `serv${i + 1}_persist`);
    const s = await startCluster({
      nodes: 3,
      dataDir: join(dir, 'servers'),
      spec: (i, ports) => ({
        command: process.execPath,
        args: [SERVER, ...(i === 0 ? ['--init'] : []), '--deadline-ms', '1500', `:${ports[i]![0]}`, persist(i), ...ports.filter((_, j) => j !== i).map((p) => `:${p[0]}`)],
      }),
      readyWhen: /^ready$/m,
    });
    clusters.push(s);
    return { s, persist, addrs: s.ports.map((p) => `:${p[0]}`) };
  }

  async function client(addrs: string[], name: string): Promise<Cluster> {
    const c = await startCluster({
      nodes: 1,
      dataDir: join(dir, `client-${name}-${clusters.length}`),
      spec: () => ({ command: process.execPath, args: [CLIENT, 'seq', '0', '5', ...addrs] }),
      readyWhen: /^ready$/m,
    });
    clusters.push(c);
    return c;
  }

  /** Run a client until it printed `count` IDs, stop it, return them. */
  async function take(addrs: string[], count: number, what: string): Promise<bigint[]> {
    const c = await client(addrs, what);
    await c.waitFor(() => ids(c, 0).length >= count, { timeoutMs: 60_000, what: `${count} IDs: ${what}` });
    await c.stop();
    return ids(c, 0);
  }

  it('A: a wiped server next to a stale peer only serves nothing, then continues above everything', async () => {
    const { s, persist, addrs } = await servers();
    // Server 2 is down while 0 and 1 hand out IDs: it stays stale.
    await take(addrs, 5, 'all up');
    await s.kill(2, 'SIGKILL');
    const before = await take(addrs, 30, 'server 2 down');
    await s.kill(0, 'SIGKILL');
    await s.kill(1, 'SIGKILL');
    await rm(persist(0), { force: true });
    await s.start(2);
    await s.start(0);
    // Only the stale server 2 is up next to the wiped 0: no ID may come out.
    const c = await client(addrs, 'stale-only');
    await c.waitFor(() => /^Error: /m.test(c.output(0)), { timeoutMs: 60_000, what: 'the client to report it gets no range' });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(ids(c, 0)).toEqual([]);
    // The up-to-date server 1 returns: IDs flow again, all above what was handed out.
    await s.start(1);
    await c.waitFor(() => ids(c, 0).length >= 10, { timeoutMs: 60_000, what: 'IDs once server 1 is back' });
    const max = before[before.length - 1]!;
    expect(ids(c, 0).every((id) => id > max)).toBe(true);
  });

  it('B: a wiped server recovers, then the up-to-date peer dies: no ID repeats', async () => {
    const { s, persist, addrs } = await servers();
    await take(addrs, 5, 'all up');
    await s.kill(2, 'SIGKILL');
    const before = await take(addrs, 30, 'server 2 down');
    await s.start(2);
    await s.kill(0, 'SIGKILL');
    await rm(persist(0), { force: true });
    await s.start(0);
    await s.waitFor(() => /recovered \d+ sequence/.test(s.output(0)), { timeoutMs: 60_000, what: 'server 0 to recover' });
    await s.kill(1, 'SIGKILL');
    const after = await take(addrs, 10, 'server 1 dead after the recovery');
    const max = before[before.length - 1]!;
    expect(after.every((id) => id > max)).toBe(true);
  });

  it('total loss refuses (the client error names force-recover); rrseq-admin force-recover --floor resumes above N', async () => {
    const { s, persist, addrs } = await servers();
    const before = await take(addrs, 20, 'all up');
    for (let i = 0; i < 3; i++) await s.kill(i, 'SIGKILL');
    for (let i = 0; i < 3; i++) await rm(persist(i), { force: true });
    for (let i = 0; i < 3; i++) await s.start(i);
    const c = await client(addrs, 'after-loss');
    await c.waitFor(() => /^Error: .*force-recover/m.test(c.output(0)), { timeoutMs: 60_000, what: 'a client error naming force-recover' });
    expect(ids(c, 0)).toEqual([]);
    expect(before.length).toBeGreaterThanOrEqual(20);
    const { stdout } = await promisify(execFile)(process.execPath, [ADMIN, 'force-recover', addrs[1]!, '--floor', '1000000'], { timeout: 60_000 });
    expect(stdout).toMatch(/^ok: force-recover done/m);
    await c.waitFor(() => ids(c, 0).length >= 5, { timeoutMs: 60_000, what: 'IDs after force-recover' });
    expect(ids(c, 0)[0]).toBe(1_000_000n);
  });
});

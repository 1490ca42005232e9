// The bench's card cluster: 3 card-srv processes on loopback (fresh data dirs, fsync on).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { killProcesses, startReadyProcess } from '@quorumkit/test-harness';
import type { CardClient } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = existsSync(join(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
export const benchDirs = { pkgDir, repoRoot: resolve(pkgDir, '../..') };

/** Write the cluster's config: ports[0..2] peer listeners, ports[3..5] card services. */
export function cardConf(dir: string, ports: number[]): string {
  const conf = join(dir, 'bench.conf');
  const peer = ports.slice(0, 3).map((p) => `127.0.0.1:${p}`);
  const card = ports.slice(3, 6).map((p) => `127.0.0.1:${p}`);
  // BENCH_CERTAIN_CONF: extra config lines for A/B runs (e.g. 'DataStoreSync = 1')
  const extra = (process.env.BENCH_CERTAIN_CONF ?? '').split(';').map((l) => l.trim()).filter(Boolean).join('\n');
  writeFileSync(conf, `ServerAddrs = ${peer.join(',')}\nCardAddrs = ${card.join(',')}\nAcceptorNum = 3\nLogLevel = warn\n${extra}\n`);
  return conf;
}

/** Start servers 0..2 (node flags per server from `nodeArgs`), resolved once each is ready. */
export async function startCardServers(conf: string, dir: string, nodeArgs: (i: number) => string[] = () => [], srvArgs: (i: number) => string[] = () => []): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  try {
    for (const i of [0, 1, 2]) {
      children.push(await startReadyProcess(process.execPath, [...nodeArgs(i), join(pkgDir, 'dist/cli/card-srv.js'), '-c', conf, '-p', dir, '-i', String(i), '--log-level', 'info', '--bootstrap', ...srvArgs(i)], /card-srv \d ready/));
    }
  } catch (err) {
    killProcesses(children);
    throw err;
  }
  return children;
}

/** SIGTERM (a clean stop writes --cpu-prof output), SIGKILL whatever is left after 10 s. */
export async function stopGracefully(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((res) => {
    if (c.exitCode !== null || c.signalCode !== null) return res();
    const t = setTimeout(() => {
      c.kill('SIGKILL');
      res();
    }, 10_000);
    c.once('exit', () => {
      clearTimeout(t);
      res();
    });
    c.kill('SIGTERM');
  })));
}

/** utime + stime of a process in ms (Linux /proc; undefined elsewhere). */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" of comm: state is field 3, utime 14, stime 15 (1-based)
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}


/**
 * Insert the bench's cards, 64 at a time, and check every one: the 64-client row used to
 * count hundreds of "card not exist" failures because inserts refused under a 1000-call
 * burst (RESOURCE_EXHAUSTED, returned as a result, never looked at) left cards missing.
 */
export async function insertCards(clients: CardClient[], ids: bigint[]): Promise<void> {
  for (let k = 0; k < ids.length; k += 64) {
    await Promise.all(ids.slice(k, k + 64).map(async (id, j) => {
      const r = await clients[j % clients.length]!.call('InsertCard', { cardId: id, card: { userName: new TextEncoder().encode('bench'), userId: id, balance: 1_000_000n } });
      if (!r.ok) throw new Error(`bench setup: insert of card ${id} failed: code ${r.code} ${r.msg}`);
    }));
  }
}

// What every multi-host scenario gets: the namespaces, the client agent, the built CLIs, and
// a way to start one process per host with the harness (so kill/restart/logs/cleanup are
// the harness's), each inside its own namespace via `ip netns exec`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, waitFor, type Cluster } from '@quorumkit/test-harness';
import type { Agent } from './agentClient.js';
import type { Hosts } from './netns.js';

export interface Ctx {
  hosts: Hosts;
  agent: Agent;
  /** a line for the test's transcript (printed when the scenario fails) */
  log(line: string): void;
}

export const cli = (pkg: string, name: string): string => fileURLToPath(new URL(`../../../packages/${pkg}/dist/cli/${name}.js`, import.meta.url));

const dirs: string[] = [];

/** Removes every data directory startOnHosts made (afterAll; QUORUMKIT_KEEP_DATA=1 keeps them). */
export function removeDataDirs(): void {
  if (process.env.QUORUMKIT_KEEP_DATA === '1') return;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** One process per host i (0..nodes-1), each inside node i's namespace; node i's data in `${dir}/node<i>`. */
export async function startOnHosts(
  ctx: Ctx,
  opts: { name: string; nodes: number; script: string; prepare?: (dir: string) => void; args: (i: number, nodeDir: string, dir: string) => string[]; readyWhen: RegExp; readyTimeoutMs?: number; env?: Record<string, string> },
): Promise<{ cluster: Cluster; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `quorumkit-multihost-${opts.name}-`));
  dirs.push(dir);
  opts.prepare?.(dir);
  const cluster = await startCluster({
    nodes: opts.nodes,
    dataDir: dir,
    readyWhen: opts.readyWhen,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    spec: (i) => ({ command: 'ip', args: [...ctx.hosts.exec(i), process.execPath, opts.script, ...opts.args(i, join(dir, `node${i}`), dir)], env: opts.env }),
  });
  return { cluster, dir };
}

export async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  let got: T | undefined;
  let last: unknown;
  await waitFor(
    async () => {
      try {
        got = await attempt();
      } catch (e) {
        last = e;
        got = undefined;
      }
      return got !== undefined;
    },
    { timeoutMs, intervalMs: 300, what: `${what}${last ? ` (last error: ${String(last)})` : ''}` },
  );
  return got as T;
}

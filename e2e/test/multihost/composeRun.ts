// Runs a compose file's cluster without docker: one network namespace per service at the
// service's ipv4_address, the service's own command through qk-start (the image's
// entrypoint) with the file's environment, container paths mapped to temp directories, and
// the service's healthcheck command run inside its namespace. What this cannot show is the
// image itself (deploy/README.md).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { startCluster, waitFor, type Cluster } from '@quorumkit/test-harness';
import { buildArgv } from '../../../deploy/scripts/qk-start.mjs';
import { deployDir, readYamlDocs, type Obj } from './deployFiles.js';
import type { Hosts } from './netns.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const scripts = join(deployDir, 'scripts');

export interface ComposeCluster {
  cluster: Cluster;
  services: { name: string; ip: string; svc: Obj }[];
  dir: string;
  /** the service's healthcheck, run in its namespace: exit code and output */
  health(i: number): { code: number | null; out: string };
  /** any command of the image, run in the client namespace with the image's PATH */
  runInClient(argv: string[]): { code: number | null; out: string };
  /** restart node i with QK_BOOTSTRAP=no, optionally on an emptied data directory */
  restart(i: number, opts?: { wipe?: boolean }): Promise<void>;
  remove(): void;
}

export function composeServices(system: string): { doc: Obj; services: { name: string; ip: string; svc: Obj }[]; net: string } {
  const doc = readYamlDocs(join(deployDir, 'compose', `${system}.yml`))[0]!;
  const net = Object.keys(doc.networks as Obj)[0]!;
  const services = Object.entries(doc.services as Obj)
    .filter(([name]) => !name.endsWith('-join'))
    .map(([name, svc]) => ({ name, svc: svc as Obj, ip: (svc as Obj).networks[net].ipv4_address as string }));
  return { doc, services, net };
}

export async function startComposeCluster(system: string, hosts: Hosts, env: Record<string, string>, readyWhen: RegExp): Promise<ComposeCluster> {
  const { services } = composeServices(system);
  const dir = mkdtempSync(join(tmpdir(), `quorumkit-compose-${system}-`));
  // the image's PATH: the CLIs (node_modules/.bin) and qk-probe / constdb-meet / qk-start by name
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const s of ['qk-start', 'qk-probe', 'constdb-meet']) symlinkSync(join(scripts, `${s}.mjs`), join(bin, s));
  const PATH = `${bin}:${join(repo, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;
  // container paths -> this run's files (a compose secret is a file under /run/secrets)
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  writeFileSync(join(dir, 'csp_peer_secret'), 'compose-run-peer-secret-0123456789\n', { mode: 0o600 });
  const mapPath = (a: string, i: number): string =>
    a
      .replace(/^\/data(?=$|\/)/, join(dir, `node${i}`, 'data'))
      .replace(/^\/etc\/quorumkit\//, `${etc}/`)
      .replace(/^\/run\/secrets\//, `${dir}/`);
  for (const s of services) {
    for (const v of (s.svc.volumes ?? []) as string[]) {
      const m = /^\.\/([^:]+):\/etc\/quorumkit\/([^:]+):ro$/.exec(v);
      if (m) writeFileSync(join(etc, m[2]!), readFileSync(join(deployDir, 'compose', m[1]!), 'utf8').replaceAll('/run/secrets/', `${dir}/`));
    }
  }
  const boot = new Map<number, string>();
  const spec = (i: number) => {
    const s = services[i]!;
    mkdirSync(join(dir, `node${i}`, 'data'), { recursive: true });
    const own = (s.svc.environment ?? {}) as Record<string, string>;
    // the first start bootstraps where the file offers it (QK_BOOTSTRAP=yes docker compose up); constdb has no such flag
    const e: Record<string, string> = { ...own, ...env, HOSTNAME: s.svc.hostname as string, PATH };
    if ('QK_BOOTSTRAP' in own) e.QK_BOOTSTRAP = boot.get(i) ?? 'yes';
    // the placeholders are filled here only to map paths; qk-start fills them again, the same way
    const argv = buildArgv(s.svc.command as string[], { ...e, QK_BOOTSTRAP: 'no' }).map((a) => mapPath(a, i));
    return { command: 'ip', args: [...hosts.exec(i), process.execPath, join(scripts, 'qk-start.mjs'), ...argv], env: e };
  };
  const cluster = await startCluster({ nodes: services.length, dataDir: join(dir, 'cluster'), readyWhen, readyTimeoutMs: 60_000, spec });
  const run = (ns: number, argv: string[]): { code: number | null; out: string } => {
    const r = spawnSync('ip', [...hosts.exec(ns), ...argv], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env, PATH } });
    return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
  };
  return {
    cluster,
    services,
    dir,
    health: (i) => {
      const test = services[i]!.svc.healthcheck.test as string[];
      if (test[0] !== 'CMD') throw new Error(`${services[i]!.name}: healthcheck ${test.join(' ')} is not a CMD list`);
      return run(i, test.slice(1));
    },
    runInClient: (argv) => run(-1, argv),
    restart: async (i, opts = {}) => {
      await cluster.kill(i, 'SIGTERM');
      if (opts.wipe) rmSync(join(dir, `node${i}`, 'data'), { recursive: true, force: true });
      boot.set(i, 'no');
      await cluster.start(i);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Waits until the healthcheck of every node passes (what `depends_on: service_healthy` waits for). */
export async function waitHealthy(c: ComposeCluster, nodes: number[], timeoutMs = 90_000): Promise<void> {
  let last = '';
  try {
    await waitFor(
      () => {
        const bad = nodes.map((i) => ({ i, r: c.health(i) })).filter(({ r }) => r.code !== 0);
        last = bad.map(({ i, r }) => `${c.services[i]!.name}: ${r.out}`).join('; ');
        return bad.length === 0;
      },
      { timeoutMs, intervalMs: 1_000, what: 'healthchecks to pass' },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; still failing: ${last}`);
  }
}

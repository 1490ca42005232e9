// Runs a deployment file's replicas without docker or Kubernetes: one network namespace per
// replica at its address, its own command through qk-start (the image's entrypoint) with the
// file's environment, container paths mapped into a temp directory, and its health check
// (compose healthcheck, k8s readiness probe) run inside its namespace. What this cannot show
// is the image itself and the orchestrator (deploy/README.md).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { startCluster, waitFor, type Cluster } from '@quorumkit/test-harness';
import { deployDir, readYamlDocs, type Obj } from './deployFiles.js';
import type { Hosts } from './netns.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const scripts = join(deployDir, 'scripts');

export function composeServices(system: string): { doc: Obj; services: { name: string; ip: string; svc: Obj }[]; net: string } {
  const doc = readYamlDocs(join(deployDir, 'compose', `${system}.yml`))[0]!;
  const net = Object.keys(doc.networks as Obj)[0]!;
  const services = Object.entries(doc.services as Obj)
    .filter(([name]) => !name.endsWith('-join'))
    .map(([name, svc]) => ({ name, svc: svc as Obj, ip: (svc as Obj).networks[net].ipv4_address as string }));
  return { doc, services, net };
}

export interface PodCluster {
  cluster: Cluster;
  services: { name: string; ip: string }[];
  dir: string;
  /** the pod's health check (a compose healthcheck or the k8s readiness probe), run in its namespace */
  health(i: number): { code: number | null; out: string };
  /** any command of the image, run in the client namespace with the image's PATH */
  runInClient(argv: string[]): { code: number | null; out: string };
  /** restart node i with QK_BOOTSTRAP=no, optionally on an emptied data directory */
  restart(i: number, opts?: { wipe?: boolean }): Promise<void>;
  remove(): void;
}

/** One replica as a deployment file describes it, container paths still in it. */
export interface PodSpec {
  name: string;
  ip: string;
  /** the container's command/args (qk-start placeholders allowed) */
  command: string[];
  env: Record<string, string>;
  /** the file offers QK_BOOTSTRAP for this pod (the first start then uses yes) */
  bootable: boolean;
  /** health check argv, run with the image's PATH */
  health: string[];
}

/**
 * Starts the pods through qk-start in their namespaces. `files` are the files the container
 * sees (container path -> content); every container path in commands, files and env is
 * mapped into this run's temp directory (/data per pod).
 */
export async function startPods(hosts: Hosts, pods: PodSpec[], files: Record<string, string>, readyWhen: RegExp): Promise<PodCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'quorumkit-pods-'));
  // the image's PATH: the CLIs (node_modules/.bin) and qk-probe / constdb-meet / qk-start by name
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const s of ['qk-start', 'qk-probe', 'constdb-meet']) symlinkSync(join(scripts, `${s}.mjs`), join(bin, s));
  const PATH = `${bin}:${join(repo, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;
  const root = join(dir, 'root');
  const mapPath = (a: string, i: number): string =>
    a.replace(/^\/data(?=$|\/)/, join(dir, `node${i}`, 'data')).replace(/(^|[\s"=])\/(etc\/quorumkit|run\/secrets)\//g, `$1${root}/$2/`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), mapPath(content, -1), { mode: 0o640 });
  }
  const boot = new Map<number, string>();
  const spec = (i: number) => {
    const p = pods[i]!;
    mkdirSync(join(dir, `node${i}`, 'data'), { recursive: true });
    const env: Record<string, string> = { ...p.env, PATH };
    if (p.bootable) env.QK_BOOTSTRAP = boot.get(i) ?? 'yes';
    return { command: 'ip', args: [...hosts.exec(i), process.execPath, join(scripts, 'qk-start.mjs'), ...p.command.map((a) => mapPath(a, i))], env };
  };
  const cluster = await startCluster({ nodes: pods.length, dataDir: join(dir, 'cluster'), readyWhen, readyTimeoutMs: 60_000, spec });
  const run = (ns: number, argv: string[], env: Record<string, string>): { code: number | null; out: string } => {
    const r = spawnSync('ip', [...hosts.exec(ns), ...argv], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env, PATH } });
    return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
  };
  return {
    cluster,
    services: pods.map((p) => ({ name: p.name, ip: p.ip })),
    dir,
    health: (i) => run(i, pods[i]!.health, pods[i]!.env),
    runInClient: (argv) => run(-1, argv, pods[0]!.env),
    restart: async (i, opts = {}) => {
      await cluster.kill(i, 'SIGTERM');
      if (opts.wipe) rmSync(join(dir, `node${i}`, 'data'), { recursive: true, force: true });
      boot.set(i, 'no');
      await cluster.start(i);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A compose file's services as pods: the volumes under ./ it mounts, its secrets, its healthchecks. */
export function composePods(system: string, extraEnv: Record<string, string>): { pods: PodSpec[]; files: Record<string, string> } {
  const { doc, services } = composeServices(system);
  const files: Record<string, string> = {};
  for (const name of Object.keys((doc.secrets ?? {}) as Obj)) files[`/run/secrets/${name}`] = `compose-run-${name}-0123456789\n`;
  const pods = services.map(({ name, ip, svc }) => {
    for (const v of (svc.volumes ?? []) as string[]) {
      const m = /^\.\/([^:]+):(\/etc\/quorumkit\/[^:]+):ro$/.exec(v);
      if (m) files[m[2]!] = readFileSync(join(deployDir, 'compose', m[1]!), 'utf8');
    }
    const test = svc.healthcheck.test as string[];
    if (test[0] !== 'CMD') throw new Error(`${name}: healthcheck ${test.join(' ')} is not a CMD list`);
    const own = (svc.environment ?? {}) as Record<string, string>;
    return { name, ip, command: svc.command as string[], env: { ...own, ...extraEnv, HOSTNAME: svc.hostname as string }, bootable: 'QK_BOOTSTRAP' in own, health: test.slice(1) };
  });
  return { pods, files };
}

/** Waits until the healthcheck of every node passes (what `depends_on: service_healthy` waits for). */
export async function waitHealthy(c: PodCluster, nodes: number[], timeoutMs = 90_000): Promise<void> {
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

// How to start each system's server as a 3-node cluster on 127.0.0.1, for the cross-system
// e2e tests (metrics, TLS): the server CLI, how many ports a node needs, the line that says a
// node is ready, and its arguments. A test adds its own flags per node (metrics address, TLS
// files) through `extra`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type Cluster } from '@quorumkit/test-harness';

export const cli = (pkg: string, name: string): string => fileURLToPath(new URL(`../../packages/${pkg}/dist/cli/${name}.js`, import.meta.url));
export const addr = (p: number): string => `127.0.0.1:${p}`;

/** Run a CLI to completion (bounded); exit code and stdout+stderr. */
export function run(script: string, args: string[], timeoutMs = 60_000): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The first `n` stdout lines of a long-running CLI, which is killed then (bounded). */
export function firstStdoutLines(script: string, args: string[], n: number, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const finish = (e?: Error): void => {
      clearTimeout(timer);
      p.kill('SIGKILL');
      if (e) reject(e);
      else resolve(out.split('\n').slice(0, n));
    };
    const timer = setTimeout(() => finish(new Error(`${n} lines not printed within ${timeoutMs} ms: ${out}${err}`)), timeoutMs);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > n) finish();
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => finish(new Error(`exited ${code} after ${out.split('\n').length - 1} line(s): ${out}${err}`)));
  });
}

export type SystemName = 'certain' | 'paxoskv' | 'rrseq' | 'constdb' | 'csp-paxos';

export interface ServerSpec {
  system: SystemName;
  /** the server CLI, and the arguments that print its options */
  server: { script: string; help: string[] };
  portsPerNode: number;
  readyWhen: RegExp;
  /** node i's arguments; `extra` is appended */
  args(i: number, ports: number[][], nodeDir: string, extra: string[]): string[];
}

/** The shared config file of a cluster: every node's spec writes the same text. */
function writeConf(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

export const SERVERS: Record<SystemName, ServerSpec> = {
  certain: {
    system: 'certain',
    server: { script: cli('certain', 'card-srv'), help: ['--help'] },
    portsPerNode: 2,
    readyWhen: /card-srv \d ready/,
    args: (i, ports, nodeDir, extra) => {
      const conf = join(nodeDir, '..', 'cluster.conf');
      writeConf(conf, `ServerAddrs = ${ports.map((p) => addr(p[0]!)).join(', ')}\nCardAddrs = ${ports.map((p) => addr(p[1]!)).join(', ')}\nAcceptorNum = 3\n`);
      return ['-c', conf, '-p', nodeDir, '-i', String(i), '--bootstrap', ...extra];
    },
  },
  paxoskv: {
    system: 'paxoskv',
    server: { script: cli('paxoskv', 'paxoskv'), help: ['serve', '--help'] },
    portsPerNode: 1,
    readyWhen: /acceptor \d listening on/,
    args: (i, ports, nodeDir, extra) => [
      'serve', '--id', String(i), '--listen', addr(ports[i]![0]!), '--data', join(nodeDir, 'data'), '--bootstrap',
      '--peers', ports.map((p) => addr(p[0]!)).join(','), ...extra,
    ],
  },
  rrseq: {
    system: 'rrseq',
    server: { script: cli('rrseq', 'rrseq-server'), help: ['--help'] },
    portsPerNode: 1,
    readyWhen: /^ready$/m,
    // --init on server 0 makes every server a member over the peer links
    args: (i, ports, nodeDir, extra) => [
      ...(i === 0 ? ['--init'] : []), addr(ports[i]![0]!), join(nodeDir, 'persist'),
      ...ports.filter((_, j) => j !== i).map((p) => addr(p[0]!)), ...extra,
    ],
  },
  constdb: {
    system: 'constdb',
    server: { script: cli('constdb', 'constdb-server'), help: ['--help'] },
    portsPerNode: 1,
    readyWhen: /constdb node \d ready on/,
    args: (i, ports, nodeDir, extra) => [
      '--node-id', String(i + 1), '--ip', '127.0.0.1', '--port', String(ports[i]![0]!), '--work-dir', nodeDir, '--appendfsync', 'always', ...extra,
    ],
  },
  'csp-paxos': {
    system: 'csp-paxos',
    server: { script: cli('csp-paxos', 'csp-paxos'), help: ['node', '--help'] },
    portsPerNode: 2,
    readyWhen: /listening on/,
    args: (i, ports, nodeDir, extra) => [
      'node', '-i', String(i), '-n', '3', '--ports', ports.map((p) => p[0]).join(','), '--peer-ports', ports.map((p) => p[1]).join(','),
      '--bootstrap', '--no-generate', '-o', '1', '-t', '120', '--log-dir', nodeDir, ...extra,
    ],
  },
};

export interface ThreeNodes {
  cluster: Cluster;
  /** ports[i] are node i's ports, in the order the spec's args use them */
  ports: number[][];
  /** stops every node and removes the data directory */
  stop(): Promise<void>;
}

/**
 * Start `spec` as a 3-node cluster in a fresh temporary directory, node i with `extra(i)`
 * appended to its arguments. On a failed start every node started so far is stopped and the
 * directory removed before the error propagates.
 */
export async function startThree(spec: ServerSpec, tag: string, extra: (i: number) => string[] = () => []): Promise<ThreeNodes> {
  const dataDir = mkdtempSync(join(tmpdir(), `quorumkit-${tag}-${spec.system}-`));
  let ports: number[][] = [];
  try {
    const cluster = await startCluster({
      nodes: 3,
      ports: spec.portsPerNode,
      dataDir,
      readyWhen: spec.readyWhen,
      readyTimeoutMs: 60_000,
      spec: (i, p) => {
        ports = p;
        const nodeDir = join(dataDir, `node${i}`);
        mkdirSync(nodeDir, { recursive: true });
        return { command: process.execPath, args: [spec.server.script, ...spec.args(i, p, nodeDir, extra(i))] };
      },
    });
    return {
      cluster,
      ports,
      stop: async () => {
        try {
          await cluster.stop();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

// Private "hosts" for the multi-host e2e: one network namespace per node, each with one
// veth (eth0, 10.77.0.<i+1>/24) whose other end sits on a bridge inside a hub namespace
// the test also creates, plus one client namespace (10.77.0.100) for the test's agent.
// Nothing is added to the machine's own namespace (no address, no route), so every packet
// stays inside namespaces this test made. Names carry the test's pid so two runs never
// collide, and destroy() kills every process still inside them before deleting them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

export const SUBNET = '10.77.0';
const PREFIX = 'qkmh';

function ip(args: string[], allowFail = false): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  return r.stdout ?? '';
}

/** Why the multi-host test cannot run here, or undefined when it can. */
export function unavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return `not root (uid ${process.getuid()}): creating network namespaces needs root`;
  const probe = `${PREFIX}${process.pid}probe`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8', timeout: 10_000 });
  if (add.error) return `the ip command is not available (${add.error.message}); install iproute2`;
  if (add.status !== 0) return `ip netns add failed: ${(add.stderr || add.stdout).trim()}`;
  const veth = spawnSync('ip', ['-n', probe, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0'], { encoding: 'utf8', timeout: 10_000 });
  const bridge = spawnSync('ip', ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge'], { encoding: 'utf8', timeout: 10_000 });
  ip(['netns', 'del', probe], true);
  if (veth.status !== 0) return `veth links are not available: ${veth.stderr.trim()}`;
  if (bridge.status !== 0) return `bridges are not available: ${bridge.stderr.trim()}`;
  return undefined;
}

/** Namespaces left by earlier runs of this test whose process is gone (a SIGKILLed worker). */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const line of ip(['netns', 'list'], true).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}(\\d+)`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    killInside(name);
    ip(['netns', 'del', name], true);
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killInside(ns: string): void {
  for (const p of ip(['netns', 'pids', ns], true).split('\n')) {
    const pid = Number(p.trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export interface Hosts {
  readonly count: number;
  /** namespace of node i */
  ns(i: number): string;
  /** address of node i (10.77.0.<i+1>) */
  addr(i: number): string;
  readonly clientNs: string;
  readonly clientAddr: string;
  /** argv prefix that runs a command inside node i's namespace (i = -1: the client's) */
  exec(i: number): string[];
  /** a real partition: node i's only link goes down inside its namespace */
  cut(i: number): void;
  heal(i: number): void;
  isCut(i: number): boolean;
  destroy(): void;
}

let created: Hosts[] = [];

/** Every namespace this process made, killed and removed (for afterAll; idempotent). */
export function destroyAllHosts(): void {
  for (const h of created) h.destroy();
  created = [];
}

/**
 * `addresses` (one /24, default 10.77.0.1..count) lets a test use the addresses a deployment
 * file names. `hostsFile` becomes /etc/hosts inside every namespace of this set: `ip netns
 * exec` bind-mounts /etc/netns/<name>/hosts over /etc/hosts (removed again by destroy()).
 */
export function createHosts(count: number, tag: string, addresses?: string[], hostsFile?: string): Hosts {
  if (count < 1 || count > 9) throw new Error(`createHosts: 1..9 nodes, got ${count}`);
  const addrs = addresses ?? Array.from({ length: count }, (_, i) => `${SUBNET}.${i + 1}`);
  const net = /^(\d+\.\d+\.\d+)\.\d+$/.exec(addrs[0] ?? '')?.[1];
  if (addrs.length !== count || !net || !addrs.every((a) => a.startsWith(`${net}.`)) || addrs.includes(`${net}.100`)) {
    throw new Error(`createHosts: want ${count} addresses in one /24 other than .100, got ${addrs.join(' ')}`);
  }
  if (!/^[a-z]{1,3}$/.test(tag)) throw new Error(`createHosts: tag must be 1-3 letters, got ${tag}`);
  const base = `${PREFIX}${process.pid}${tag}`;
  const hub = `${base}h`;
  const nodeNs = Array.from({ length: count }, (_, i) => `${base}n${i}`);
  const clientNs = `${base}c`;
  const all = [hub, ...nodeNs, clientNs];
  const cut = new Set<number>();
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of all) killInside(ns);
    for (const ns of all) ip(['netns', 'del', ns], true);
    if (hostsFile !== undefined) for (const ns of all) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  };
  const hosts: Hosts = {
    count,
    ns: (i) => nodeNs[i]!,
    addr: (i) => addrs[i]!,
    clientNs,
    clientAddr: `${net}.100`,
    exec: (i) => ['netns', 'exec', i < 0 ? clientNs : nodeNs[i]!],
    cut: (i) => {
      ip(['-n', nodeNs[i]!, 'link', 'set', 'eth0', 'down']);
      cut.add(i);
    },
    heal: (i) => {
      ip(['-n', nodeNs[i]!, 'link', 'set', 'eth0', 'up']);
      cut.delete(i);
    },
    isCut: (i) => cut.has(i),
    destroy,
  };
  created.push(hosts);
  try {
    if (hostsFile !== undefined) {
      for (const ns of all) {
        mkdirSync(`/etc/netns/${ns}`, { recursive: true });
        writeFileSync(`/etc/netns/${ns}/hosts`, `127.0.0.1 localhost\n${hostsFile}`);
      }
    }
    ip(['netns', 'add', hub]);
    ip(['-n', hub, 'link', 'set', 'lo', 'up']);
    ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    const attach = (ns: string, hubSide: string, address: string): void => {
      ip(['netns', 'add', ns]);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', hub, 'link', 'add', hubSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['-n', hub, 'link', 'set', hubSide, 'master', 'br0']);
      ip(['-n', hub, 'link', 'set', hubSide, 'up']);
      ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    };
    nodeNs.forEach((ns, i) => attach(ns, `v${i}`, hosts.addr(i)));
    attach(clientNs, 'vc', hosts.clientAddr);
  } catch (e) {
    destroy();
    throw e;
  }
  return hosts;
}

/** Addresses the namespace of node i has (for the test's own sanity check). */
export function addressesOf(hosts: Hosts, i: number): string[] {
  return [...ip(['-n', hosts.ns(i), '-4', '-o', 'addr', 'show']).matchAll(/inet (\S+)\//g)].map((m) => m[1]!);
}

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Cluster, ClusterError, startCluster, stopAllClusters } from '../src/index.js';
import { echo, echoSpec, pidAlive, pidState } from './helpers/echo.js';

const T = 120_000;

describe('startCluster with real child processes', () => {
  const clusters: Cluster[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of clusters.splice(0)) await c.stop();
  });
  afterAll(async () => {
    await stopAllClusters();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  function tmp(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'th-cluster-test-'));
    dirs.push(d);
    return d;
  }

  async function echoCluster(nodes: number, extra: string[] = [], proxies = false) {
    const dataDir = tmp();
    const c = await startCluster({ nodes, spec: echoSpec(dataDir, extra), readyWhen: /echo ready on \d+/, dataDir, proxies });
    clusters.push(c);
    return c;
  }

  it('starts nodes on distinct free ports, waits for the ready line, writes per-node logs', { timeout: T }, async () => {
    const c = await echoCluster(3);
    const ports = c.ports.map((p) => p[0]!);
    expect(new Set(ports).size).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(c.isUp(i)).toBe(true);
      expect(await echo(ports[i]!, `hello ${i}`)).toBe(`hello ${i}`);
      expect(c.output(i)).toContain(`echo ready on ${ports[i]}`);
      await c.waitFor(() => fs.readFileSync(c.logFile(i), 'utf8').includes('echo ready on'), { timeoutMs: 10_000, what: 'log file' });
    }
    expect(c.proxyPorts).toEqual(ports);
    expect(c.link(0, 1)).toBe(ports[1]);
  });

  it('kill, start, restart with SIGTERM, pause and resume', { timeout: T }, async () => {
    const c = await echoCluster(2);
    const port = c.ports[1]![0]!;
    const pid = c.pid(1)!;
    await c.kill(1);
    expect(c.isUp(1)).toBe(false);
    expect(pidAlive(pid)).toBe(false);
    expect(await echo(port, 'x', 1_000)).toBeUndefined();
    await c.start(1);
    expect(c.pid(1)).not.toBe(pid);
    expect(await echo(port, 'back')).toBe('back');
    expect(c.output(1)).toMatch(/echo start #1[\s\S]*echo start #2/);

    await c.restart(1, 'SIGTERM');
    expect(c.output(1)).toContain('got SIGTERM');
    expect(c.output(1)).toContain('echo start #3');

    c.pause(0);
    expect(c.isPaused(0)).toBe(true);
    await c.waitFor(() => pidState(c.pid(0)!) === 'T', { timeoutMs: 10_000, what: 'node 0 stopped' });
    const pending = echo(c.ports[0]![0]!, 'paused?', 20_000);
    await new Promise((r) => setTimeout(r, 500));
    c.resume(0);
    expect(await pending).toBe('paused?'); // answered only once resumed
    expect(pidState(c.pid(0)!)).not.toBe('T');
  });

  it('a paused node answers nothing until resumed', { timeout: T }, async () => {
    const c = await echoCluster(1);
    c.pause(0);
    expect(await echo(c.ports[0]![0]!, 'hello', 700)).toBeUndefined();
    c.resume(0);
    expect(await echo(c.ports[0]![0]!, 'hello')).toBe('hello');
  });

  it('wipe removes the node data only while the node is down', { timeout: T }, async () => {
    const c = await echoCluster(2);
    await expect(c.wipe(0)).rejects.toThrow(ClusterError);
    await c.restart(0);
    expect(fs.readFileSync(path.join(c.nodeDir(0), 'starts'), 'utf8')).toBe('2');
    await c.kill(0);
    await c.wipe(0);
    expect(fs.existsSync(path.join(c.nodeDir(0), 'starts'))).toBe(false);
    await c.start(0);
    expect(fs.readFileSync(path.join(c.nodeDir(0), 'starts'), 'utf8')).toBe('1');
    expect(fs.readFileSync(path.join(c.nodeDir(1), 'starts'), 'utf8')).toBe('1');
    await c.kill(1);
    await c.wipe(1, ['starts']);
    expect(fs.readdirSync(c.nodeDir(1))).toEqual([]);
  });

  it('stop() kills every process tree (grandchildren too) and is idempotent', { timeout: T }, async () => {
    const c = await echoCluster(3, ['--grandchild']);
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      pids.push(c.pid(i)!);
      const m = /grandchild pid=(\d+)/.exec(c.output(i));
      expect(m).not.toBeNull();
      pids.push(Number(m![1]));
    }
    expect(pids.every(pidAlive)).toBe(true);
    c.pause(2); // a stopped process must die too
    await c.stop();
    await c.stop();
    await c.waitFor(() => pids.every((p) => !pidAlive(p)), { timeoutMs: 15_000, what: 'every pid gone' });
    expect(fs.existsSync(c.dataDir)).toBe(true); // the test owns dataDir here; only temp dirs are removed
  });

  it('killing a node kills its grandchildren', { timeout: T }, async () => {
    const c = await echoCluster(1, ['--grandchild']);
    const grandchild = Number(/grandchild pid=(\d+)/.exec(c.output(0))![1]);
    await c.kill(0);
    await c.waitFor(() => !pidAlive(grandchild), { timeoutMs: 15_000, what: 'grandchild gone' });
  });

  it('readiness by probe, and a clear error (with no process left) when a node never gets ready', { timeout: T }, async () => {
    const dataDir = tmp();
    const probed = await startCluster({
      nodes: 2,
      spec: echoSpec(dataDir),
      dataDir,
      readyWhen: async (i, ports) => (await echo(ports[i]![0]!, 'probe', 500)) === 'probe',
    });
    clusters.push(probed);
    expect(await echo(probed.ports[1]![0]!, 'ok')).toBe('ok');

    const err = await startCluster({ nodes: 2, spec: echoSpec(tmp(), ['--exit-now']), readyWhen: /echo ready/, readyTimeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as Error).message).toMatch(/exited before it was ready[\s\S]*refusing to start/);
  });

  it('partition, one-way cut and heal through the per-link proxies', { timeout: T }, async () => {
    const c = await echoCluster(3, [], true);
    const via = (from: number, to: number) => echo(c.link(from, to), `${from}->${to}`, 1_000);
    expect(c.link(0, 1)).not.toBe(c.ports[1]![0]);
    expect(c.link(1, 1)).toBe(c.ports[1]![0]);
    expect(await via(0, 1)).toBe('0->1');
    c.partition([[0], [1, 2]]);
    expect(await via(0, 1)).toBeUndefined();
    expect(await via(1, 0)).toBeUndefined();
    expect(await via(1, 2)).toBe('1->2');
    expect(await echo(c.proxyPorts[0]!, 'client')).toBe('client'); // clients are not partitioned
    c.heal();
    expect(await via(0, 1)).toBe('0->1');
    c.cut(0, 1);
    expect(await via(0, 1)).toBeUndefined(); // requests 0->1 are lost
    expect(await echo(c.link(1, 0), '1->0', 3_000)).toBeUndefined(); // 1's request arrives, 0's answer is lost
    expect(c.proxy(1, 0)!.bytes.droppedDown).toBeGreaterThan(0);
    expect(await via(2, 1)).toBe('2->1');
    c.heal();
    expect(await via(1, 0)).toBe('1->0');
  });

  it('gives spec a link function that is also indexable by peer', { timeout: T }, async () => {
    const dataDir = tmp();
    const seen: Array<{ i: number; viaCall: number; viaIndex: number }> = [];
    const c = await startCluster({
      nodes: 2,
      proxies: true,
      dataDir,
      spec: (i, ports, link) => {
        const j = 1 - i;
        seen.push({ i, viaCall: link(i, j), viaIndex: link[j]! });
        return echoSpec(dataDir)(i, ports, link);
      },
      readyWhen: /echo ready/,
    });
    clusters.push(c);
    expect(seen).toHaveLength(2);
    for (const s of seen) expect(s.viaIndex).toBe(s.viaCall);
    const reach = await new Promise<boolean>((r) => {
      const sock = net.connect(seen[0]!.viaCall, '127.0.0.1', () => (sock.destroy(), r(true)));
      sock.on('error', () => r(false));
    });
    expect(reach).toBe(true);
  });
});

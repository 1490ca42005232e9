// In-process clusters of RRServers on free 127.0.0.1 ports, for the ported tests and the bench.
import { freePorts } from '@quorumkit/test-harness';
import { RRServer, type RRServerOptions } from '../../src/index.js';

export interface LocalCluster {
  addrs: string[];
  servers: Array<RRServer | undefined>;
  stop(): Promise<void>;
}

export async function startLocalCluster(
  n: number,
  opts: Partial<RRServerOptions> & { paths?: string[] } = {},
): Promise<LocalCluster> {
  const ports = await freePorts(n);
  const addrs = ports.map((p) => `127.0.0.1:${p}`);
  const servers: Array<RRServer | undefined> = await Promise.all(
    addrs.map((addr, i) =>
      RRServer.start({ ...opts, addr, path: opts.paths?.[i] ?? '', peers: addrs.filter((_, j) => j !== i) }),
    ),
  );
  // A cluster starts by explicit init only (blank servers never bootstrap by themselves);
  // servers restarted on existing persist files are ready without it.
  // Servers that just started may not answer yet: init is retried (bounded).
  const end = Date.now() + 20_000;
  while (!servers.every((s) => s?.ready)) {
    const r = await servers[0]!.init();
    if (r.ok) break;
    if (Date.now() > end) throw new Error(`init failed: ${r.message}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  await waitUntil(() => servers.every((s) => s?.ready), 20_000, 'cluster ready');
  return {
    addrs,
    servers,
    async stop() {
      await Promise.all(servers.map((s) => s?.close()));
    },
  };
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

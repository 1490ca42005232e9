// The seed's ServeAcceptors: N acceptors in one process (for trying paxoskv out, for
// tests, and for `paxoskv cluster`). Acceptor i listens on basePort + i (0: any port).
import { join } from 'node:path';
import { inspectReplicaDir } from '@quorumkit/shared-storage';
import type { TlsFiles, TlsReloader } from '@quorumkit/shared-transport';
import type { Logger } from 'pino';
import { ACCEPTOR_STORE_DIR } from '../storage/openAcceptorReplica.js';
import { type AcceptorServer, startAcceptor } from './acceptorServer.js';
import { ACCEPTOR_BASE_PORT } from '../wire/protoPath.js';

export interface ServeAcceptorsOptions {
  /** data directory: acceptor i keeps its state in `${data}/acceptor<i>`; omit for in-memory (tests) */
  data?: string;
  host?: string;
  /** acceptor i listens on basePort + i; 0 picks free ports (tests) */
  basePort?: number;
  logger?: Logger;
  clusterId?: string;
  allowUnnamedClients?: boolean;
  /** TLS for every acceptor's port (and their recovery diallers) */
  tls?: TlsFiles | TlsReloader;
}

export async function serveAcceptors(n: number, opts: ServeAcceptorsOptions = {}): Promise<AcceptorServer[]> {
  const host = opts.host ?? '127.0.0.1';
  const base = opts.basePort ?? ACCEPTOR_BASE_PORT;
  const servers: AcceptorServer[] = [];
  const dirs = Array.from({ length: n }, (_, i) => (opts.data ? join(opts.data, `acceptor${i}`) : undefined));
  // All N directories fresh: this is the cluster's first start, so it is created here. Any
  // other mix (one wiped next to intact ones) is not a new cluster: the blank ones re-learn.
  const states = await Promise.all(dirs.map((d) => (d ? inspectReplicaDir(d, { stores: [ACCEPTOR_STORE_DIR] }) : null)));
  const bootstrap = states.every((st) => st === null || st.kind === 'fresh');
  const peers = (): string[] => servers.map((s) => s.address);
  try {
    for (let i = 0; i < n; i++) {
      servers.push(
        await startAcceptor({
          id: i,
          address: `${host}:${base === 0 ? 0 : base + i}`,
          data: dirs[i] ?? { memory: true },
          bootstrap,
          peers,
          logger: opts.logger,
          members: n,
          ...(opts.clusterId !== undefined ? { clusterId: opts.clusterId } : {}),
          ...(opts.allowUnnamedClients !== undefined ? { allowUnnamedClients: opts.allowUnnamedClients } : {}),
          ...(opts.tls ? { tls: opts.tls } : {}),
        }),
      );
    }
  } catch (e) {
    await Promise.allSettled(servers.map((s) => s.close()));
    throw e;
  }
  return servers;
}

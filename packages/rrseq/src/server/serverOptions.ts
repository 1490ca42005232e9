// RRServer's options and their defaults, and how they become the engine's configuration
// and the peer links' options. Kept apart from the server so the client can read the
// server's limits (name bytes, largest range) without importing the server.
import type { TlsFiles, TlsReloader } from '@quorumkit/shared-transport';
import type { Logger } from 'pino';
import { engineConfig, membershipHash, type EngineConfig } from '../core/index.js';
import { PEER_CLIENT_DEFAULTS, type PeerClientOptions } from './peerClient.js';

export interface RRServerOptions extends Partial<Omit<EngineConfig, 'nodes' | 'self'>>, Partial<PeerClientOptions> {
  /** Where to listen, e.g. ':19001' or '127.0.0.1:0'. */
  addr: string;
  /** The persist file ('' keeps state in memory only: for tests and benchmarks). */
  path: string;
  /** The other servers' addresses (this server counts itself once). */
  peers: string[];
  /** fsync the state file (default true; false only for benchmarks). */
  fsync?: boolean;
  /** Log bytes appended beyond the last snapshot before it is compacted (at least the snapshot's size). */
  compactBytesMin?: number;
  /** Most time between checks that the persist file was not deleted or replaced (ms, default 100). */
  statIntervalMs?: number;
  logger?: Logger;
  /** Longest sequence name accepted, in bytes. */
  nameBytesMax?: number;
  /** Requests one GRPCLease stream may have in flight; one more is refused (ELEASELIMIT). */
  leaseInFlightMax?: number;
  /** Largest range one GRPCNextID may ask for. */
  rangeSizeMax?: bigint;
  /** Called each time this replica becomes able to serve (after start, init or recovery). */
  onServing?: () => void;
  /**
   * TLS on the server's port (clients, admin and peers share it) and on the links it dials
   * to its peers, with the same certificate (docs/tls.md). Give a TlsReloader to reload on
   * SIGHUP; TlsFiles are read once. With `requireClientCert` (mTLS) every client and peer
   * needs a certificate signed by `ca`. Default: plaintext.
   */
  tls?: TlsFiles | TlsReloader;
}

export const RR_SERVER_DEFAULTS = { nameBytesMax: 256, rangeSizeMax: 1n << 40n } as const;

/** The engine's configuration: this server is node 0, its peers 1..n in the order given. */
export function engineConfigFor(o: RRServerOptions, peerCount: number): EngineConfig {
  return engineConfig(peerCount + 1, 0, stripUndefined({
    membership: membershipHash([o.addr, ...o.peers]),
    deadlineMs: o.deadlineMs,
    attemptTimeoutMs: o.attemptTimeoutMs,
    backoffBaseMs: o.backoffBaseMs,
    backoffMaxMs: o.backoffMaxMs,
    batchRequestsMax: o.batchRequestsMax,
    pipelineDepth: o.pipelineDepth,
    namesCachedMax: o.namesCachedMax,
    recoveryIntervalMs: o.recoveryIntervalMs,
    recoveryRoundTimeoutMs: o.recoveryRoundTimeoutMs,
    namesMax: o.namesMax,
  }));
}

export function peerClientOptions(o: RRServerOptions): PeerClientOptions {
  return {
    callDeadlineMs: o.callDeadlineMs ?? PEER_CLIENT_DEFAULTS.callDeadlineMs,
    inFlightMax: o.inFlightMax ?? PEER_CLIENT_DEFAULTS.inFlightMax,
    batchOpsMax: o.batchOpsMax ?? PEER_CLIENT_DEFAULTS.batchOpsMax,
    queueOpsMax: o.queueOpsMax ?? PEER_CLIENT_DEFAULTS.queueOpsMax,
  };
}

/** The fields that are set (an explicit undefined must not override a default in a spread). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

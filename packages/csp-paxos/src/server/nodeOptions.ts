// A node's options, defaults and status (what `status` answers), apart from the node's wiring.
import type pino from 'pino';
import type { TlsReloader } from '@quorumkit/shared-transport';
import type { Acceptor } from '../core/acceptor.js';
import type { Learner } from '../core/learner.js';
import type { Proposer } from '../core/proposer.js';
import type { Router } from '../core/router.js';
import type { CoreConfig } from '../core/types.js';
import type { AcceptorLogOptions } from '../storage/acceptorLog.js';
import type { Member } from './config.js';

export const NODE_DEFAULTS = {
  channelCapacityMax: 200_000,
  /**
   * Room kept in every channel for events between this node's own processors (round
   * handovers, roles, fences, commit indexes): network input is refused before it can take it.
   */
  localReserve: 4096,
  tickMs: 20,
};

export interface NodeOptions {
  id: number;
  committee: Member[];
  /** Where instancelog<i>.log goes. */
  logDir: string;
  /** Where acceptor.log goes (default `<logDir>/data<i>`). */
  dataDir?: string;
  /** Ports to dial peers on, when they differ from the committee's peer ports (proxies). */
  dialPorts?: number[];
  /** Shared peer secret: peers must prove it (HMAC handshake); unauthenticated frames are refused. */
  secret?: Buffer;
  /**
   * TLS on the client port, the peer port and every peer link (docs/tls.md). The node's
   * certificate is also its client certificate when it dials a peer; with
   * `requireClientCert` in the files, clients and peers without a certificate of the CA are
   * refused in the TLS handshake. Reloads (SIGHUP in the CLI) apply to new connections.
   */
  tls?: TlsReloader;
  /** Answer `block` control requests (partitions for fault runs). Default false: refused. */
  allowControl?: boolean;
  core?: Partial<Omit<CoreConfig, 'id' | 'n'>>;
  fsync?: boolean;
  /** Acceptor log options besides fsync: the sync deadline (tests also inject a stuck disk). */
  acceptorLog?: Omit<AcceptorLogOptions, 'fsync'>;
  /**
   * Create a new cluster: an empty data directory becomes a voter. Without it an empty directory
   * joins by re-learning from the others (a blank node never decides it is first).
   */
  bootstrap?: boolean;
  /** Capacity of each processor channel (default NODE_DEFAULTS.channelCapacityMax). */
  channelCapacityMax?: number;
  /** Stop by itself at this wall-clock time (ms since the epoch). */
  stopAtMs?: number;
  /** Serve Prometheus /metrics at this host:port (off by default; port 0 picks one). */
  metricsAddr?: string;
  logger?: pino.Logger;
}

export interface NodeStatus {
  rank: number;
  round: number;
  leader: number;
  leading: boolean;
  commitIndex: number;
  syncs: number;
  records: number;
  /** False while the acceptor re-learns a lost or damaged state (it casts no vote). */
  voting: boolean;
  /**
   * Refused for a full channel: `net` = peer messages (peers retry), `local` = events between
   * this node's processors (should stay 0: they have a reserve; logged as errors).
   */
  overflow: { net: number; local: number };
  /** Why the node votes or not, as judged from its disk at start. */
  disk: string;
  incarnation: number;
  /** Acceptor log compactions since start. */
  compactions: number;
  /** First slot this node still holds (instance log, values log and memory are cut below it). */
  logBase: number;
  /** Why the node stopped by itself (a stalled or failing disk), if it did. */
  fatal?: string;
}

/** The four processors' cores of a running node (each owned by its loop; read only elsewhere). */
export interface NodeCores {
  router: Router;
  follower: Acceptor;
  leader: Proposer;
  consensus: Learner;
}

// What a Certain engine is given: its place in the cluster, its stores (or where to open
// them), how it reaches its peers, how a chosen value becomes key writes, and its tuning.
import type { Logger } from 'pino';
import type { Plog } from '../storage/plog.js';
import type { Db, ApplyFn } from '../storage/db.js';
import type { Route, TransportFactory } from './transport.js';
import type { CertainTuning } from './options.js';

export interface CertainOptions {
  acceptorId: number;
  acceptorNum: number;
  /** Peer listener addresses indexed by acceptor id (used when no route is given). */
  peers?: string[];
  /** Directory holding logdb_<id> and datadb_<id> (when plog / db are not given). */
  path?: string;
  plog?: Plog;
  db?: Db;
  route?: Route;
  /**
   * How this replica reaches its peers: `grpcTransport` (src/server/transport.ts) in servers,
   * an in-process one in tests. createCertain() defaults to gRPC; the engine imports none.
   */
  transport: TransportFactory;
  /** Turns a chosen value into key writes of the entity (required unless db is given). */
  apply?: ApplyFn;
  options?: Partial<CertainTuning>;
  logger?: Logger;
  /**
   * Create a new cluster: a replica with no voting record votes at once. Only for the first
   * start of every replica of a new cluster; a replica that lost its state must never be
   * bootstrapped again (it recovers from the others instead, which is the default).
   */
  bootstrap?: boolean;
  /** Whether the plog was just created (default: logdb_<id> did not exist under path). */
  freshPlog?: boolean;
}

// Messages of the replica protocol (carried by GRPCPeer) and shared constants.

/** The largest value a uint64 field can carry; ranges never reach past it. */
export const ID_MAX = (1n << 64n) - 1n;
/** The current value of a name nobody has allocated from yet: the first ID is 1. */
export const FIRST_ID = 1n;

export type PeerOpKind = 'READ' | 'ADVANCE' | 'RAISE' | 'FENCE' | 'PROBE' | 'INSTALL';
export type PeerStatus = 'OK' | 'REJECT' | 'RECOVERING' | 'ERROR';

export interface PeerOp {
  /**
   * Correlates the result with the op at the sender; opaque to the replica. Unique across
   * the sender's incarnations (a random session prefix), so an answer meant for a previous
   * incarnation can never be taken for one of ours.
   */
  id: string;
  kind: PeerOpKind;
  name: string;
  /** ADVANCE: the value the coordinator read; the replica accepts only if its value <= from. */
  from: bigint;
  /** ADVANCE / RAISE: the new value. */
  to: bigint;
  /** ADVANCE: the replica's token the coordinator learned before sending any write. */
  token: string;
  /** Hash of the sender's member set (membership.ts); a replica refuses a different one. */
  membership: string;
  /**
   * The sender's cluster id ('' when it holds none): a ready replica of another cluster
   * answers ERROR. INSTALL: the cluster id to adopt.
   */
  cluster?: string;
  /** INSTALL: the values to adopt (per name, a value at least that high); `to` is the floor. */
  entries?: Array<[string, bigint]>;
  /** INSTALL: 'init' (only a blank replica adopts) or 'force' (any replica of the cluster). */
  mode?: 'init' | 'force';
}

export interface PeerResult {
  id: string;
  status: PeerStatus;
  /** The replica's value of op.name after the op (0n when RECOVERING / ERROR). */
  value: bigint;
  /** The replica's current token ('' when RECOVERING / ERROR). */
  token: string;
  /** FENCE: every stored (name, value). */
  entries?: Array<[string, bigint]>;
  /** FENCE / PROBE: the replica stores no name at all. */
  empty?: boolean;
  /**
   * The answering replica's identity (its state's incarnation): majorities and recovery
   * count distinct replicas, so one server reached through two peer slots counts once.
   */
  replica?: string;
  /** ERROR: why (e.g. EMEMBERSHIP), for the sender's log. */
  error?: string;
  /** PROBE / FENCE: the replica's cluster id ('' if it holds none). */
  cluster?: string;
  /** FENCE: the replica's floor (every name's value is at least this). */
  floor?: bigint;
  /** PROBE (also while RECOVERING): the replica never completed a bootstrap (fresh disk). */
  blank?: boolean;
}

export function errorResult(op: PeerOp, status: 'RECOVERING' | 'ERROR', error?: string): PeerResult {
  return error === undefined ? { id: op.id, status, value: 0n, token: '' } : { id: op.id, status, value: 0n, token: '', error };
}

/** Smallest number of nodes that is a majority of `nodes`. */
export function majority(nodes: number): number {
  return Math.floor(nodes / 2) + 1;
}

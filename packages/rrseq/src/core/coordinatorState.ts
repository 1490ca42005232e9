// The coordinator's bookkeeping per name: queued requests, attempts in flight, and what
// the last rounds taught it (hint, tokens) so the next allocation can skip its read.

export type AllocErrorCode = 'EDEADLINE' | 'ENOQUORUM' | 'ECONFLICT' | 'EOVERFLOW';

export interface Pending {
  req: number;
  size: bigint;
  deadline: number;
  done: boolean;
}

export interface Attempt {
  /** Changes when the attempt moves from read to write: late read answers are ignored. */
  round: number;
  opIds: string[];
  phase: 'read' | 'write';
  batch: Pending[];
  size: bigint;
  from: bigint;
  timeoutAt: number;
  ok: Set<number>;
  /** Distinct replicas (by identity) among `ok`: what a majority is counted on. */
  okReplicas: Set<string>;
  failed: Set<number>;
  /** Replicas that answered RECOVERING / ERROR or never answered: not reachable. */
  unreachable: number;
  maxSeen: bigint;
  anyAck: boolean;
  rejects: Map<number, bigint>;
}

export interface NameState {
  queue: Pending[];
  /** In flight, oldest first: at most one read, or up to pipelineDepth writes. */
  attempts: Attempt[];
  /** A value at least one majority reached; the next attempt writes from here. */
  hint?: bigint;
  /** The end of the latest write started (a pipelined attempt writes from here). */
  tail?: bigint;
  tokens: Map<number, string>;
  retryAt: number;
  failures: number;
  /** Ops of the last successful write round: late answers from them drive read repair. */
  lateOpIds: string[];
  lastError?: AllocErrorCode;
}

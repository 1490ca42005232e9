// Every limit and timeout of the protocol, with its default. Units go last in names.

export interface CoordinatorConfig {
  /** How long a GRPCNextID request may take before it answers [0,0) (the original's 4 s). */
  deadlineMs: number;
  /** How long one read or write round waits for a majority before it is retried. */
  attemptTimeoutMs: number;
  /** Jittered exponential backoff between failed attempts (full jitter). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Concurrent requests for one name are served by one allocation of their total size. */
  batchRequestsMax: number;
  /** Names whose last known value and tokens are cached for one-round allocations. */
  namesCachedMax: number;
  /**
   * Allocations of one name in flight at once (conditional writes pipelined behind each
   * other, each from the end of the previous one). 1: one at a time, the default: in the
   * bench (5 servers, one process, peer calls in flight concurrently) pipelined writes
   * overtook each other at peers, failed as conflicts and backed off, and buffer-0
   * throughput fell; deeper pipelines want per-peer ordered delivery first.
   */
  pipelineDepth: number;
}

export interface RecoveryConfig {
  /** Pause between recovery rounds while not enough peers can be fenced. */
  recoveryIntervalMs: number;
  /** How long one probe or fence round waits for peers. */
  recoveryRoundTimeoutMs: number;
}

export interface EngineConfig extends CoordinatorConfig, RecoveryConfig {
  /** Number of replicas, this node included. */
  nodes: number;
  /** This node's index in 0..nodes-1. */
  self: number;
  /** Hash of the member set (membership.ts): ops stamped with another are refused. */
  membership: string;
  /** Most names one replica creates; an allocation of one more is refused (ENAMESQUOTA). */
  namesMax: number;
}

/** Default quota of names per replica (each costs memory and a few dozen bytes on disk). */
export const DEFAULT_NAMES_MAX = 1_000_000;

export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = {
  deadlineMs: 4_000,
  attemptTimeoutMs: 1_000,
  backoffBaseMs: 2,
  backoffMaxMs: 200,
  batchRequestsMax: 1_024,
  namesCachedMax: 100_000,
  pipelineDepth: 1,
};

export const DEFAULT_RECOVERY_CONFIG: RecoveryConfig = {
  recoveryIntervalMs: 500,
  recoveryRoundTimeoutMs: 2_000,
};

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^(attempt-1))]. */
export function jitteredBackoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, attempt - 1)));
  return Math.floor(random() * cap);
}

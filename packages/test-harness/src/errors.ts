/**
 * Errors thrown by the harness. Each has a stable `code` so tests can match on it.
 * (The repo-wide base class lives in @quorumkit/shared-storage; the harness has no
 * dependency on it, so it keeps its own small base with the same shape.)
 */
export class HarnessError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An invariant or a node threw inside `simulate`. Carries the seed and the trace tail. */
export class SimFailure extends HarnessError {
  readonly seed: number;
  readonly timeMs: number;
  readonly traceTail: string[];
  constructor(seed: number, timeMs: number, traceTail: string[], cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('SIM_FAILURE', `simulation failed at t=${timeMs}ms with SEED=${seed}: ${why}`, { cause });
    this.seed = seed;
    this.timeMs = timeMs;
    this.traceTail = traceTail;
  }
}

export class HistoryError extends HarnessError {}
export class ClusterError extends HarnessError {}
export class TimeoutError extends HarnessError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

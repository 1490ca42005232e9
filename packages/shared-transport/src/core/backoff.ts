// Full-jitter exponential backoff (pure: randomness comes in as an argument).

export interface BackoffOptions {
  /** delay cap for attempt 0, doubled per attempt (default 50 ms) */
  baseMs?: number;
  /** upper bound of any delay (default 5000 ms) */
  maxMs?: number;
  /** uniform [0, 1) source; default Math.random */
  random?: () => number;
}

export const backoffDefaults = { baseMs: 50, maxMs: 5_000 } as const;

/**
 * Delay before retry number `attempt` (0-based): uniform in [0, min(maxMs, baseMs * 2^attempt)).
 * Full jitter keeps many retrying clients from synchronising.
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions = {}): number {
  const baseMs = opts.baseMs ?? backoffDefaults.baseMs;
  const maxMs = opts.maxMs ?? backoffDefaults.maxMs;
  const random = opts.random ?? Math.random;
  if (!Number.isFinite(attempt) || attempt < 0) attempt = 0;
  // 2^attempt overflows to Infinity for large attempts; Math.min caps it.
  const cap = Math.min(maxMs, baseMs * 2 ** Math.floor(attempt));
  return Math.max(0, Math.floor(random() * cap));
}

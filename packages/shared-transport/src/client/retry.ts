// Retry with full-jitter exponential backoff.
import { backoffDelayMs, type BackoffOptions } from '../core/backoff.js';
import { CancelledError } from '../errors.js';
import { sleep } from './sleep.js';

export interface RetryOptions extends BackoffOptions {
  /** total attempts including the first (default 5) */
  attemptsMax?: number;
  /** return false to stop retrying on this error (default: retry every error except CancelledError) */
  retryIf?: (error: unknown, attempt: number) => boolean;
  signal?: AbortSignal;
}

export const retryDefaults = { attemptsMax: 5 } as const;

/** Runs `fn(attempt)` until it resolves, sleeping backoffDelayMs(attempt) between failures. */
export async function withRetry<R>(fn: (attempt: number) => Promise<R>, opts: RetryOptions = {}): Promise<R> {
  const attemptsMax = Math.max(1, opts.attemptsMax ?? retryDefaults.attemptsMax);
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new CancelledError('retry aborted');
    try {
      return await fn(attempt);
    } catch (e) {
      const retryable = !(e instanceof CancelledError) && (opts.retryIf?.(e, attempt) ?? true);
      if (!retryable || attempt + 1 >= attemptsMax) throw e;
      await sleep(backoffDelayMs(attempt, opts), opts.signal);
    }
  }
}

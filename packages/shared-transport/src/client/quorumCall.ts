// Fire one call per target in parallel; settle as soon as the outcome is known.
import { CancelledError, DeadlineError, QuorumError, type QuorumOutcome } from '../errors.js';

export interface QuorumCallOptions<R> {
  /** how many accepted answers make a quorum */
  need: number;
  /** the whole quorumCall fails with DeadlineError after this long */
  deadlineMs: number;
  /** which answers count towards `need` (default: every answer that did not throw) */
  accept?: (result: R) => boolean;
  /** aborting cancels every call; the promise rejects with CancelledError */
  signal?: AbortSignal;
}

/**
 * Calls `call(target, signal)` for every target at once. Resolves with the first `need`
 * accepted answers (in arrival order) without waiting for the others; rejects with
 * QuorumError as soon as errors plus rejected answers make `need` unreachable, and with
 * DeadlineError when `deadlineMs` passes. Either way the calls still running are aborted.
 * Errors carry the answers seen so far (`outcome`), e.g. to learn a higher ballot.
 */
export function quorumCall<T, R>(
  targets: readonly T[],
  call: (target: T, signal: AbortSignal) => Promise<R>,
  opts: QuorumCallOptions<R>,
): Promise<{ target: T; result: R }[]> {
  const { need, deadlineMs } = opts;
  const accept = opts.accept ?? (() => true);
  const outcome: QuorumOutcome<T, R> = { accepted: [], rejected: [], failed: [] };
  if (need <= 0) return Promise.resolve([]);
  if (need > targets.length) {
    return Promise.reject(new QuorumError(`need ${need} answers but only ${targets.length} targets`, outcome));
  }
  if (opts.signal?.aborted) return Promise.reject(new CancelledError('quorumCall aborted before start'));

  return new Promise((resolve, reject) => {
    const abort = new AbortController();
    let done = false;
    const finish = (err: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCallerAbort);
      abort.abort(err ?? new CancelledError('quorum reached'));
      if (err) reject(err);
      else resolve(outcome.accepted.slice(0, need));
    };
    const check = (): void => {
      if (outcome.accepted.length >= need) return finish(undefined);
      const lost = outcome.rejected.length + outcome.failed.length;
      if (targets.length - lost < need) {
        finish(
          new QuorumError(
            `quorum unreachable: need ${need} of ${targets.length}, ${outcome.accepted.length} accepted, ` +
              `${outcome.rejected.length} rejected, ${outcome.failed.length} failed`,
            outcome,
          ),
        );
      }
    };
    const onCallerAbort = (): void => finish(new CancelledError('quorumCall aborted'));
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const timer = setTimeout(
      () =>
        finish(
          new DeadlineError(
            `quorumCall deadline ${deadlineMs} ms: need ${need}, ${outcome.accepted.length} accepted, ` +
              `${outcome.rejected.length} rejected, ${outcome.failed.length} failed`,
            outcome,
          ),
        ),
      deadlineMs,
    );

    for (const target of targets) {
      let pending: Promise<R>;
      try {
        pending = call(target, abort.signal);
      } catch (e) {
        pending = Promise.reject(e);
      }
      pending.then(
        (result) => {
          if (done) return;
          let ok: boolean;
          try {
            ok = accept(result);
          } catch (e) {
            outcome.failed.push({ target, error: e });
            return check();
          }
          (ok ? outcome.accepted : outcome.rejected).push({ target, result });
          check();
        },
        (error: unknown) => {
          if (done) return;
          outcome.failed.push({ target, error });
          check();
        },
      );
    }
  });
}

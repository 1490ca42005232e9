// The cancel signal a Proposer phase hands to its transport. Node's AbortController costs an
// EventTarget, an Event per abort and a listener object per call: about a tenth of a client's
// CPU at 64 writers (profile), because every set is a phase and every phase cancels the call a
// third acceptor has not answered yet. This one keeps AbortSignal's shape (an AbortSignal is a
// CancelSignal too, so transports written for AbortSignal keep working) and nothing more.

/** What a transport may read from a phase's cancel signal: AbortSignal satisfies it. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

/** A one-shot cancel signal: listeners run once, at abort(), and are dropped. */
export class PhaseSignal implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | null = null;

  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.aborted) return; // as AbortSignal: a listener added after abort never runs
    (this.listeners ??= []).push(listener);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const run = this.listeners;
    this.listeners = null;
    if (run) for (const f of run) f();
  }
}

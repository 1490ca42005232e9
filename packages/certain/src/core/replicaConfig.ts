// What an entity worker needs to know about its replica and the protocol's knobs. Pure.

export interface ReplicaConfig {
  acceptorId: number;
  acceptorNum: number;
  enablePreAuth: boolean;
  localAcceptFirst: boolean;
  maxCatchUpNum: number;
  /** A catch-up request with no answer is forgotten after this long. */
  catchUpTimeoutMs: number;
  /** Re-prepare an unchosen proposal after this long (plus jitter). */
  retryMsBase: number;
}

export const defaultReplicaConfig = {
  enablePreAuth: true,
  localAcceptFirst: false,
  maxCatchUpNum: 10,
  catchUpTimeoutMs: 1000,
  retryMsBase: 200,
};

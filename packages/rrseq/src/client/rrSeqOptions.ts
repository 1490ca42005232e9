// RRSeq's options, their defaults and the types its methods take (split from rrSeq.ts).
import type { TlsFiles, TlsReloader } from '@quorumkit/shared-transport';
import type { Registry } from 'prom-client';
import type { RangeRegressionError, RangeUnavailableError } from '../errors.js';

export interface RRSeqOptions {
  /** Fetch the next range when this fraction of the current one is consumed (0 < f <= 1). */
  prefetchAt?: number;
  /** Deadline of one GRPCNextID call; longer than the servers' 4 s allocation deadline. */
  callDeadlineMs?: number;
  /** Backoff between failed fetches (full jitter). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * Fetch over one GRPCLease stream per server (default true): far cheaper per range than a
   * GRPCNextID call. A server without it (the original) is then asked by GRPCNextID.
   */
  stream?: boolean;
  /**
   * After a failure moved this client to another server, try the name's first server again
   * after this long (ms; doubling while it keeps failing, up to 60 s).
   */
  preferredRetryMs?: number;
  /** Unbuffered clients fetch one ID per waiting caller, at most this many per range. */
  waitersBatchMax?: number;
  /**
   * Dynamic range size: while callers have to wait for ranges, the range size doubles up to
   * this (and halves back toward bufSize when they do not). Default: bufSize (fixed size).
   */
  rangeSizeMax?: number;
  /**
   * Called on every failed fetch (ENORANGE: the client keeps retrying until closed) and on
   * every range that starts below what this client already held (ERANGEREGRESSION).
   */
  onError?: (err: RRSeqError) => void;
  registry?: Registry;
  /**
   * TLS to the servers (docs/tls.md): `ca` checks their certificates; `cert`/`key` are this
   * client's certificate, needed when they run with --tls-client-auth. Default: plaintext.
   */
  tls?: TlsFiles | TlsReloader;
}

export const RR_SEQ_DEFAULTS = {
  prefetchAt: 0.5,
  callDeadlineMs: 5_000,
  backoffBaseMs: 10,
  backoffMaxMs: 1_000,
  waitersBatchMax: 1_024,
  preferredRetryMs: 1_000,
  rangeSizeMax: 0,
  stream: true,
} as const;

export interface NextOptions {
  /** Give up (NextAbortedError, EABORTED) when this signal aborts. */
  signal?: AbortSignal;
  /** Give up (NextTimeoutError, ETIMEDOUT) after this long. */
  timeoutMs?: number;
}

export type RRSeqError = RangeUnavailableError | RangeRegressionError;

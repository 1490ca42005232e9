import type { SimStorage } from './simStorage.js';

export interface SimContext<M> {
  /** This node's id, 0..nodes-1. */
  readonly id: number;
  readonly nodes: number;
  /** How many times this node has been (re)started; 0 for the first start. */
  readonly incarnation: number;
  /** Virtual milliseconds since the start of the run. */
  now(): number;
  /** Seeded, in [0, 1); a per-node stream. */
  random(): number;
  /**
   * Through the simulated network (delay / drop / duplicate / reorder / partition).
   * `to = -1` answers a client outside the cluster: it reaches SimOptions.onOutside after a
   * network delay (drops apply, partitions do not).
   */
  send(to: number, msg: M): void;
  /** Returns a cancel function. Every timer of a node dies when it crashes. */
  setTimer(delayMs: number, fn: () => void): () => void;
  /** Survives a crash only up to the last sync(). */
  storage: SimStorage;
  /** Goes into the trace (printed on failure). */
  log(line: string): void;
}

export interface SimNode<M> {
  onMessage(from: number, msg: M): void;
  onStart?(): void;
}

export interface SimFaults {
  dropRate?: number;
  duplicateRate?: number;
  /** Per-message delay, uniform in [min, max] ms; a wide range reorders. Default [1, 10]. */
  delayMs?: [number, number];
  /** Chance per tick that a new random partition starts (or, if one is active, that it heals). */
  partitionRate?: number;
  /** Chance per tick that one up, crashable node crashes. */
  crashRate?: number;
  /** Down time after a crash before the restart. Default [50, 500]. */
  restartAfterMs?: [number, number];
  /** Node ids whose storage is wiped entirely on crash. */
  wipeOnCrash?: number[];
  /** Default: all nodes. */
  crashable?: number[];
  /** Most nodes down at once. Default: a minority, floor((nodes - 1) / 2), at least 1. */
  maxDown?: number;
  /**
   * When true, a crash keeps a seeded prefix of the unsynced writes (a log cut mid-flush)
   * instead of dropping them all. Default false: everything after the last sync() is lost.
   */
  tornWrites?: boolean;
}

export interface SimStats {
  events: number;
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  timersFired: number;
  crashes: number;
  restarts: number;
  partitions: number;
  lostWrites: number;
}

export interface SimWorld<M> {
  readonly seed: number;
  now(): number;
  /** undefined while the node is crashed. */
  node(i: number): SimNode<M> | undefined;
  isUp(i: number): boolean;
  storage(i: number): SimStorage;
  /** Seeded stream for the test's own workload (independent of the network's). */
  random(): number;
  /** Can a message from `from` reach `to` right now? */
  connected(from: number, to: number): boolean;
  /** Scripted faults and workload (usable from `setup`, `onTick` and `at` callbacks). */
  at(timeMs: number, fn: () => void): void;
  crash(i: number, opts?: { wipe?: boolean }): void;
  restart(i: number): void;
  partition(groups: number[][]): void;
  /** One-way: messages from `from` to `to` are dropped. */
  cut(from: number, to: number): void;
  heal(): void;
  /** Deliver a message as if `from` sent it (client requests from outside the cluster use from = -1). */
  inject(to: number, from: number, msg: M): void;
  readonly trace: string[];
  /** FNV-1a hash over every trace line of the run (the trace array keeps only the tail). */
  traceHash(): string;
  readonly stats: SimStats;
}

export interface SimOptions<M> {
  seed: number;
  nodes: number;
  maxTimeMs: number;
  /** Fault-decision interval. Default 10 ms. */
  tickMs?: number;
  faults?: SimFaults;
  /** After this, no new faults: partitions healed, crashed nodes restarted, no drops/duplicates. */
  healAtMs?: number;
  /** Called at start and on every restart (storage holds what survived). */
  create(ctx: SimContext<M>): SimNode<M>;
  /** Called after every event; throw to fail the run. */
  invariant?(sim: SimWorld<M>): void;
  /** Checked after every event; true ends the run early. */
  stopWhen?(sim: SimWorld<M>): boolean;
  /** Called once before the first event (schedule workload with world.at). */
  setup?(sim: SimWorld<M>): void;
  /** Messages nodes send to -1 (replies to clients), after a network delay. */
  onOutside?(from: number, msg: M, sim: SimWorld<M>): void;
  /** Called at every tick, after fault decisions. */
  onTick?(sim: SimWorld<M>): void;
  /** Hard cap on events (guards against livelock). Default 5,000,000. */
  maxEvents?: number;
  /** Trace lines kept (the tail). Default 5,000. */
  traceMax?: number;
  /** How messages appear in the trace. Default: JSON (bigint-safe), cut to 160 chars. */
  formatMessage?(msg: M): string;
  /** structuredClone every message on send so senders cannot alias receivers' state. Default true. */
  cloneMessages?: boolean;
}

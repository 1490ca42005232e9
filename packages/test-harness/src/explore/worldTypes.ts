// Types of the message-passing world the explorer drives (see messageWorld.ts).

export interface Envelope<M> {
  to: number;
  msg: M;
}

/** What a node's handler asks the world to do. */
export interface Out<P, M, O> {
  /** Writes to make durable; they become durable only at a later `flush` of this node. */
  persist?: P[];
  /** Messages that may leave only after this step's persists (and any earlier pending ones) are durable. */
  send?: Envelope<M>[];
  /** Messages that leave at once (they depend on nothing unflushed). */
  sendNow?: Envelope<M>[];
  /** Ghost events the invariants read, e.g. { kind: 'chosen', instance, value } or { kind: 'acked', ... }. */
  observe?: O[];
}

/**
 * A protocol core plugged into the world. Handlers may mutate the node they are given (the
 * world hands them a private copy) and must be deterministic.
 */
export interface WorldSpec<N, D, P, M, C, O> {
  nodes: number;
  /** The disk an explicit bootstrap gives node `id` before the run (default: none, undefined). */
  initialDisk?(id: number): D | undefined;
  /** A node starting from its disk (undefined: a wiped directory, or no bootstrap disk). */
  boot(id: number, disk: D | undefined): N;
  /** Effects of a (re)start, e.g. a recovering node asking its peers (optional). */
  onRestart?(node: N, id: number): Out<P, M, O>;
  onMessage(node: N, id: number, from: number, msg: M): Out<P, M, O>;
  /** The oldest pending persist of this node just became durable. */
  onPersisted?(node: N, id: number): Out<P, M, O>;
  /** Timer fired (only offered while the `ticksMax` budget lasts). */
  onTick?(node: N, id: number): Out<P, M, O>;
  /** Client commands enabled at this node now. */
  clientOps(node: N, id: number, world: World<N, D, P, M, O>): C[];
  onClient(node: N, id: number, op: C): Out<P, M, O>;
  /** The disk after `p` is durable. May mutate `disk` (the world passes a copy). */
  applyPersist(disk: D | undefined, p: P): D;
  /** Default: cloneDeep. */
  clone?(node: N): N;
  /** Canonical key of a node's state (leave out counters that do not matter). Default: stableStringify. */
  nodeKey?(node: N): string;
  diskKey?(disk: D | undefined): string;
  describeMsg?(msg: M): string;
  describeOp?(op: C): string;
  /** Per-node quantities that must never decrease while the node keeps its disk (wipe resets them). */
  monotone?: { name: string; read(node: N): number | bigint }[];
}

export interface WorldBounds {
  depthMax: number;
  crashesMax?: number;
  wipesMax?: number;
  dropsMax?: number;
  duplicatesMax?: number;
  clientOpsMax?: number;
  ticksMax?: number;
  /** Messages in flight at once; a message sent beyond it is lost (counted in world.overflow). */
  inFlightMax?: number;
  /**
   * Nodes that may crash (default: all). Narrowing it shrinks the space for deep schedules: a
   * node that never crashes makes its persists durable in the same step (no flush action),
   * since nobody can observe the gap.
   */
  crashable?: number[];
  /**
   * Partial-order reduction (default on): of two adjacent independent actions (on different
   * nodes, not competing for one budget) only the order with the lower node first is explored.
   * Every reachable state stays reachable (each interleaving has such a representative). Keep
   * inFlightMax high enough that world.overflow stays 0: an overflow can depend on order.
   */
  reduce?: boolean;
  /** Offer `drop` only for messages to a down node (a smaller space; drops still model loss). */
  dropOnlyToDown?: boolean;
}

export interface Flight<M> {
  from: number;
  to: number;
  msg: M;
  /** Canonical text (the network is kept sorted by it). */
  key: string;
}

export interface PendingPersist<P, M> {
  persist: P[];
  /** Messages held back until this persist is durable. */
  held: { from: number; to: number; msg: M }[];
}

export interface NodeSlot<N, D, P, M> {
  up: boolean;
  /** Undefined while down. */
  node: N | undefined;
  disk: D | undefined;
  pending: PendingPersist<P, M>[];
  /** High-water marks of spec.monotone, by name. */
  high: Record<string, number | bigint>;
  /** Canonical text of this slot, computed once (slots are copied on write, never mutated after). */
  key?: string;
}

export interface World<N, D, P, M, O> {
  slots: NodeSlot<N, D, P, M>[];
  net: Flight<M>[];
  /** Ghost observations, unique by canonical text, sorted by it. */
  ghost: { key: string; obs: O }[];
  used: { crashes: number; wipes: number; drops: number; duplicates: number; clientOps: number; ticks: number };
  overflow: number;
  /** Monotone quantities that went backwards (read by an automatic invariant). */
  regressions: string[];
  /** The action that led here (for partial-order reduction), or undefined at init. */
  last?: { node: number; budget: string | undefined; sent: string[] };
}

export type WorldAction<C> =
  | { kind: 'deliver' | 'drop' | 'duplicate'; index: number; from: number; to: number }
  | { kind: 'client'; node: number; op: C }
  | { kind: 'flush' | 'crash' | 'wipe' | 'restart' | 'tick'; node: number };

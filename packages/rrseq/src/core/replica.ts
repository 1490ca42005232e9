// One replica's durable state and the rules it applies to peer operations.
//
// Safety rests on three rules, all enforced here:
//  1. ADVANCE(from -> to) is accepted only if the replica's value <= from and the op
//     carries the replica's current token; the value then becomes `to`. Two allocations
//     accepted by intersecting majorities can therefore never overlap.
//  2. Values only grow (RAISE is max()), so a replica never forgets an acceptance.
//  3. A replica whose state was lost is RECOVERING and answers nothing until it has
//     fenced enough peers (see recovery.ts); fencing changes a peer's token so that
//     writes prepared before the fence are refused.
//  4. A cluster exists only once bootstrapped (INSTALL, driven by bootstrap.ts on an
//     operator's init or force-recover): a replica holds its cluster id from then on, and
//     a replica that lost its state never becomes ready from blank peers.
// The shell must persist `snapshot()` before sending any result of a dirty op.

import { FIRST_ID, errorResult, type PeerOp, type PeerResult } from './types.js';

export interface ReplicaState {
  /** Random id chosen when this state was created; tokens of lost states never match. */
  incarnation: string;
  /** Incremented and persisted on every start, so tokens handed out before a crash die. */
  boot: number;
  /** Incremented and persisted on every FENCE. */
  fence: number;
  /** False while the state is being rebuilt from peers (or before the cluster is bootstrapped). */
  ready: boolean;
  /** The cluster this replica belongs to ('' until it was bootstrapped or recovered). */
  cluster: string;
  /**
   * True only for a replica created on a fresh disk that never completed a bootstrap: the
   * only kind that may adopt an `init`. A replica that lost its state is not blank.
   */
  blank: boolean;
  /** Every name's value is at least this (raised by force-recover --floor N). */
  floor: bigint;
  values: Map<string, bigint>;
}

/**
 * What changed since the last takeDelta(): the small fixed part of the state (always) and
 * the names whose value changed. `reset`: the values were replaced wholesale (recovery, a
 * new state), so `names` holds every name and nothing older may be kept.
 */
export interface StateDelta {
  reset: boolean;
  header: Omit<ReplicaState, 'values'>;
  names: Array<[string, bigint]>;
}

/** Refusal reason of an op that would store a name beyond the replica's quota. */
export const NAMES_QUOTA_CODE = 'ENAMESQUOTA';

export interface ApplyOutcome {
  result: PeerResult;
  /** The op changed durable state: persist before sending the result. */
  dirty: boolean;
}

/**
 * A replica with no state: blank (fresh disk) or lost (recovering), never ready. `cluster`:
 * the cluster it is known to have belonged to (from its identity record), '' if unknown.
 */
export function unreadyState(incarnation: string, blank: boolean, cluster = ''): ReplicaState {
  return { incarnation, boot: 0, fence: 0, ready: false, cluster, blank: blank && cluster === '', floor: FIRST_ID, values: new Map() };
}

/** A ready, empty replica of `cluster` (what init installs; tests start from it). */
export function emptyState(incarnation: string, ready: boolean, cluster = 'test-cluster'): ReplicaState {
  return ready ? { ...unreadyState(incarnation, false), ready: true, cluster } : unreadyState(incarnation, false);
}

export class Replica {
  private s: ReplicaState;
  /** Names changed since the last takeDelta() (bounded by the number of names). */
  private changed = new Set<string>();
  /** The whole state must be written: nothing was taken yet, or the values were replaced. */
  private resetPending = true;

  constructor(
    state: ReplicaState,
    /** Hash of this server's member set: ops stamped with another one are refused. */
    private readonly membership = '',
    /** Most names this replica creates (recovery and install may bring more: never refused). */
    private readonly namesMax = Number.POSITIVE_INFINITY,
  ) {
    this.s = { ...state, values: new Map(state.values) };
  }

  /** Whether a value is stored for name (false for a name nobody allocated from). */
  has(name: string): boolean {
    return this.s.values.has(name);
  }

  /** True when a new name would be refused (the quota is full). */
  get namesFull(): boolean {
    return this.s.values.size >= this.namesMax;
  }

  /** What to persist since the previous call (O(changed names), O(all) after a reset). */
  takeDelta(): StateDelta {
    const { values, ...header } = this.s;
    const names: Array<[string, bigint]> = this.resetPending ? [...values] : [...this.changed].map((n) => [n, values.get(n)!]);
    const reset = this.resetPending;
    this.resetPending = false;
    this.changed = new Set();
    return { reset, header, names };
  }

  private store(name: string, v: bigint): void {
    this.s.values.set(name, v);
    if (!this.resetPending) this.changed.add(name);
  }

  get ready(): boolean {
    return this.s.ready;
  }

  get token(): string {
    return `${this.s.incarnation}.${this.s.boot}.${this.s.fence}`;
  }

  get cluster(): string {
    return this.s.cluster;
  }

  /** This replica's value for `name` (1 for an unknown name), or undefined while recovering. */
  value(name: string): bigint | undefined {
    if (!this.s.ready) return undefined;
    return this.cur(name);
  }

  private cur(name: string): bigint {
    const v = this.s.values.get(name);
    return v === undefined || v < this.s.floor ? this.s.floor : v;
  }

  names(): number {
    return this.s.values.size;
  }

  /** Called once per process start on a loaded state: invalidates earlier tokens. */
  bumpBoot(): void {
    this.s.boot += 1;
  }

  /** The cluster this replica knew before its state was lost ('' if none). */
  get knownCluster(): string {
    return this.s.cluster;
  }

  /** Recovery is done: adopt the peers' values, cluster and floor under a fresh incarnation. */
  completeRecovery(incarnation: string, values: Map<string, bigint>, cluster: string, floor: bigint): void {
    this.s = { incarnation, boot: 0, fence: 0, ready: true, cluster, blank: false, floor, values: new Map(values) };
    this.resetPending = true;
  }

  snapshot(): ReplicaState {
    return { ...this.s, values: new Map(this.s.values) };
  }

  apply(op: PeerOp): ApplyOutcome {
    // Checked first, also while recovering: a server configured with another member set
    // must not count toward our majorities nor fence us.
    if (op.membership !== this.membership) {
      const why = `EMEMBERSHIP: the sender's member set (hash ${op.membership || 'none'}) differs from this server's (${this.membership || 'none'}); every server must list the same servers`;
      return { result: errorResult(op, 'ERROR', why), dirty: false };
    }
    if (op.kind === 'INSTALL') return this.install(op);
    if (!this.s.ready) {
      const r = errorResult(op, 'RECOVERING');
      if (op.kind === 'PROBE') {
        r.blank = this.s.blank;
        if (this.s.cluster !== '') r.cluster = this.s.cluster;
      }
      return { result: r, dirty: false };
    }
    if (op.cluster && op.cluster !== this.s.cluster) {
      const why = `ECLUSTER: the sender belongs to cluster ${op.cluster}, this server to ${this.s.cluster}`;
      return { result: errorResult(op, 'ERROR', why), dirty: false };
    }
    if ((op.kind === 'ADVANCE' || op.kind === 'RAISE') && this.namesFull && !this.s.values.has(op.name)) {
      return { result: errorResult(op, 'ERROR', `${NAMES_QUOTA_CODE}: this server already stores ${this.s.values.size} names (its limit)`), dirty: false };
    }
    const cur = this.cur(op.name);
    const token = this.token;
    const reply = (status: 'OK' | 'REJECT', value: bigint, dirty: boolean): ApplyOutcome => ({
      result: { id: op.id, status, value, token: this.token, replica: this.s.incarnation },
      dirty,
    });
    switch (op.kind) {
      case 'READ':
        return reply('OK', cur, false);
      case 'ADVANCE':
        if (op.token !== token || cur > op.from || op.to <= op.from) return reply('REJECT', cur, false);
        this.store(op.name, op.to);
        return reply('OK', op.to, true);
      case 'RAISE':
        if (op.to <= cur) return reply('OK', cur, false);
        this.store(op.name, op.to);
        return reply('OK', op.to, true);
      case 'FENCE': {
        this.s.fence += 1;
        const entries = [...this.s.values.entries()];
        const r: PeerResult = { id: op.id, status: 'OK', value: 0n, token: this.token, entries, empty: entries.length === 0 };
        return {
          result: { ...r, replica: this.s.incarnation, cluster: this.s.cluster, floor: this.s.floor },
          dirty: true,
        };
      }
      case 'PROBE':
        return {
          result: { id: op.id, status: 'OK', value: 0n, token, empty: this.s.values.size === 0, replica: this.s.incarnation, cluster: this.s.cluster },
          dirty: false,
        };
    }
  }

  /**
   * INSTALL: become (or stay) a ready member of op.cluster. 'init' is adopted only by a
   * blank replica or an empty one of the same cluster (an init that was interrupted);
   * 'force' (the operator's force-recover) by a recovering replica, or by a ready one of
   * the same cluster, which then raises its values and floor (never lowers anything).
   */
  private install(op: PeerOp): ApplyOutcome {
    const cluster = op.cluster ?? '';
    const entries = op.entries ?? [];
    const ok = (): ApplyOutcome => ({
      result: { id: op.id, status: 'OK', value: 0n, token: this.token, replica: this.s.incarnation, cluster: this.s.cluster },
      dirty: true,
    });
    const refuse = (why: string): ApplyOutcome => ({ result: errorResult(op, 'ERROR', why), dirty: false });
    if (cluster === '') return refuse('EINVAL: INSTALL without a cluster id');
    if (this.s.cluster !== '' && this.s.cluster !== cluster) return refuse(`ECLUSTER: this server belongs to cluster ${this.s.cluster}`);
    if (op.mode === 'init') {
      if (this.s.ready && (this.s.values.size > 0 || this.s.floor !== FIRST_ID)) return refuse('EBOOTSTRAPPED: this server already holds sequences');
      if (!this.s.ready && !this.s.blank) return refuse('ENOTBLANK: this server lost the state of a bootstrapped cluster (use force-recover)');
    } else if (op.mode !== 'force') return refuse('EINVAL: INSTALL mode must be init or force');
    if (!this.s.ready) {
      this.s = { ...this.s, ready: true, blank: false, cluster, floor: FIRST_ID, values: new Map() };
      this.resetPending = true;
    }
    if (op.to > this.s.floor) this.s.floor = op.to;
    for (const [name, v] of entries) if (v > (this.s.values.get(name) ?? 0n)) this.store(name, v);
    return ok();
  }
}

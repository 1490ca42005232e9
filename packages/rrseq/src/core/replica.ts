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
// The shell must persist `snapshot()` before sending any result of a dirty op.

import { FIRST_ID, errorResult, type PeerOp, type PeerResult } from './types.js';

export interface ReplicaState {
  /** Random id chosen when this state was created; tokens of lost states never match. */
  incarnation: string;
  /** Incremented and persisted on every start, so tokens handed out before a crash die. */
  boot: number;
  /** Incremented and persisted on every FENCE. */
  fence: number;
  /** False while the state is being rebuilt from peers. */
  ready: boolean;
  values: Map<string, bigint>;
}

export interface ApplyOutcome {
  result: PeerResult;
  /** The op changed durable state: persist before sending the result. */
  dirty: boolean;
}

export function emptyState(incarnation: string, ready: boolean): ReplicaState {
  return { incarnation, boot: 0, fence: 0, ready, values: new Map() };
}

export class Replica {
  private s: ReplicaState;

  constructor(
    state: ReplicaState,
    /** Hash of this server's member set: ops stamped with another one are refused. */
    private readonly membership = '',
  ) {
    this.s = { ...state, values: new Map(state.values) };
  }

  get ready(): boolean {
    return this.s.ready;
  }

  get token(): string {
    return `${this.s.incarnation}.${this.s.boot}.${this.s.fence}`;
  }

  /** This replica's value for `name` (1 for an unknown name), or undefined while recovering. */
  value(name: string): bigint | undefined {
    if (!this.s.ready) return undefined;
    return this.s.values.get(name) ?? FIRST_ID;
  }

  names(): number {
    return this.s.values.size;
  }

  /** Called once per process start on a loaded state: invalidates earlier tokens. */
  bumpBoot(): void {
    this.s.boot += 1;
  }

  /** Recovery is done: adopt `values` under a fresh incarnation. */
  completeRecovery(incarnation: string, values: Map<string, bigint>): void {
    this.s = { incarnation, boot: 0, fence: 0, ready: true, values: new Map(values) };
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
    if (!this.s.ready) return { result: errorResult(op, 'RECOVERING'), dirty: false };
    const cur = this.s.values.get(op.name) ?? FIRST_ID;
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
        this.s.values.set(op.name, op.to);
        return reply('OK', op.to, true);
      case 'RAISE':
        if (op.to <= cur) return reply('OK', cur, false);
        this.s.values.set(op.name, op.to);
        return reply('OK', op.to, true);
      case 'FENCE': {
        this.s.fence += 1;
        const entries = [...this.s.values.entries()];
        return {
          result: { id: op.id, status: 'OK', value: 0n, token: this.token, entries, empty: entries.length === 0, replica: this.s.incarnation },
          dirty: true,
        };
      }
      case 'PROBE':
        return {
          result: { id: op.id, status: 'OK', value: 0n, token, empty: this.s.values.size === 0, replica: this.s.incarnation },
          dirty: false,
        };
    }
  }
}

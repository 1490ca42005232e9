// The multi-version promise per key (core keyPromise.ts) in the harness's message world, for
// test/explore.test.ts: acceptors 0..2 hold two instances of one key (k@0, k@1) and a key
// promise, and run the core rules (prepare/accept under underKeyPromise, prepareFrom against the
// highest version they hold state for). Writers:
//   'kp'      as PaxosKvClient with a key promise: PREPARE_FROM(k, 0) to every acceptor, counted
//             with the core keyPromiseHeld; then phase 2 only, its own value at k@0 and then at
//             k@1, one value per version with the one ballot; gives up at the first rejection.
//   'classic' per-version Paxos at k@1 (phase 1, the core fastPathValue, phase 2), retrying once
//             with a higher ballot (so it can overtake the key promise).
// Replies leave only after the state they reveal is durable.
import type { Out, WorldSpec } from '@quorumkit/test-harness';
import {
  type AcceptorReply,
  type AcceptorState,
  type Ballot,
  EMPTY_STATE,
  type KeyPromise,
  PhaseTally,
  type Value,
  accept,
  ballot,
  ballotEq,
  fastPathValue,
  formatBallot,
  i64Value,
  keyPromiseHeld,
  majority,
  nextBallot,
  prepare,
  prepareFrom,
  underKeyPromise,
} from '../src/core/index.js';

export const KP_ACCEPTORS = 3;
const VERSIONS = 2;

export interface KDisk {
  inst: AcceptorState[];
  kp: KeyPromise | null;
  /** the highest version with any state (-1n: none), as AcceptorStore keeps it */
  touched: bigint;
}
export interface KAcceptor extends KDisk {
  kind: 'a';
}
export interface KWriter {
  kind: 'w';
  mode: 'kp' | 'classic';
  bal: Ballot;
  phase: 'idle' | 'p1' | 'p2' | 'done';
  /** the version phase 2 is at */
  ver: number;
  val: Value | null;
  from: number[];
  replies: AcceptorReply[];
  fails: number;
  higher: Ballot | null;
  attempts: number;
}
export type KNode = KAcceptor | KWriter;
export type KMsg =
  | { t: 'kp'; bal: Ballot }
  | { t: 'kpR'; bal: Ballot; lastBal: Ballot; touched: bigint }
  | { t: 'prep'; ver: number; bal: Ballot }
  | { t: 'prepR'; ver: number; bal: Ballot; r: AcceptorReply }
  | { t: 'acc'; ver: number; bal: Ballot; val: Value }
  | { t: 'accR'; ver: number; bal: Ballot; r: AcceptorReply };
export type KObs = { kind: 'chosen' | 'acked'; instance: string; value: string };

export interface KeyPromiseWorldOptions {
  writers: ('kp' | 'classic')[];
  /** the acceptor checks (and says) whether it holds state at or above `from` (false: the bug) */
  coveredCheck: boolean;
  /** the version the classic writer writes */
  classicVer: number;
  /** covered instances answer under the key promise (false: the bug, the promise is stored but not kept) */
  applyKeyPromise: boolean;
  /** the first version the key promise covers (the key-promise writer writes from it to k@1) */
  kpFrom: number;
}

const all = (): number[] => Array.from({ length: KP_ACCEPTORS }, (_, i) => i);
const quorum = majority(KP_ACCEPTORS);
const mineOf = (id: number, ver: number): Value => i64Value(id * 10 + ver);
const fmt = (v: Value): string => v.vi64.toString();

export function keyPromiseWorld(o: Partial<KeyPromiseWorldOptions> = {}): WorldSpec<KNode, KDisk, KDisk, KMsg, 'write', KObs> {
  const opts: KeyPromiseWorldOptions = { writers: ['classic', 'kp'], coveredCheck: true, classicVer: 1, kpFrom: 0, applyKeyPromise: true, ...o };
  const none: Out<KDisk, KMsg, KObs> = {};
  const disk = (a: KAcceptor): KDisk => ({ inst: a.inst, kp: a.kp, touched: a.touched });

  function onAcceptor(a: KAcceptor, from: number, m: KMsg): Out<KDisk, KMsg, KObs> {
    if (m.t === 'kp') {
      // the bug (coveredCheck false): the acceptor ignores the state it holds and says it holds none
      const touched = opts.coveredCheck ? a.touched : -1n;
      const step = prepareFrom(a.kp, null, BigInt(opts.kpFrom), m.bal, touched);
      const out: Out<KDisk, KMsg, KObs> = { send: [{ to: from, msg: { t: 'kpR', bal: m.bal, lastBal: step.lastBal, touched } }] };
      if (step.changed) {
        a.kp = step.next;
        out.persist = [disk(a)];
      }
      return out;
    }
    if (m.t === 'prep' || m.t === 'acc') {
      const cur = opts.applyKeyPromise ? underKeyPromise(a.inst[m.ver]!, BigInt(m.ver), a.kp) : a.inst[m.ver]!;
      const step = m.t === 'prep' ? prepare(cur, m.bal) : accept(cur, m.bal, m.val);
      const r: KMsg = m.t === 'prep' ? { t: 'prepR', ver: m.ver, bal: m.bal, r: step.reply } : { t: 'accR', ver: m.ver, bal: m.bal, r: step.reply };
      const out: Out<KDisk, KMsg, KObs> = { send: [{ to: from, msg: r }] };
      if (step.changed) {
        a.inst = a.inst.map((s, v) => (v === m.ver ? step.next : s));
        if (BigInt(m.ver) > a.touched) a.touched = BigInt(m.ver);
        out.persist = [disk(a)];
      }
      return out;
    }
    return none;
  }

  const begin = (w: KWriter, phase: 'p1' | 'p2'): void => {
    w.phase = phase;
    w.from = [];
    w.replies = [];
    w.fails = 0;
  };
  const startClassic = (w: KWriter): Out<KDisk, KMsg, KObs> => {
    begin(w, 'p1');
    return { sendNow: all().map((to) => ({ to, msg: { t: 'prep', ver: w.ver, bal: w.bal } })) };
  };
  const phase2 = (w: KWriter, val: Value): Out<KDisk, KMsg, KObs> => {
    begin(w, 'p2');
    w.val = val;
    return { sendNow: all().map((to) => ({ to, msg: { t: 'acc', ver: w.ver, bal: w.bal, val } })) };
  };
  const tally = (w: KWriter): PhaseTally => {
    const t = new PhaseTally(w.bal, KP_ACCEPTORS, quorum);
    for (const r of w.replies) t.add(r);
    for (let i = 0; i < w.fails; i++) t.fail();
    return t;
  };

  function onWriter(w: KWriter, id: number, from: number, m: KMsg): Out<KDisk, KMsg, KObs> {
    if (m.t !== 'kpR' && m.t !== 'prepR' && m.t !== 'accR') return none;
    if (!ballotEq(m.bal, w.bal) || w.from.includes(from)) return none;
    const want = m.t === 'accR' ? 'p2' : 'p1';
    if (w.phase !== want || (m.t !== 'kpR' && m.ver !== w.ver) || (m.t === 'kpR') !== (w.mode === 'kp' && w.phase === 'p1')) return none;
    w.from = [...w.from, from];
    if (m.t === 'kpR') {
      if (keyPromiseHeld(w.bal, BigInt(opts.kpFrom), { lastBal: m.lastBal, ver: m.touched })) w.replies = [...w.replies, { lastBal: m.lastBal, val: null, vBal: null, chosen: null }];
      else w.fails++;
    } else w.replies = [...w.replies, m.r];
    const t = tally(w);
    if (t.state === 'pending') return none;
    if (t.state === 'rejected') {
      if (w.mode === 'kp' || w.attempts >= 1) {
        w.phase = 'done';
        return none;
      }
      w.attempts++;
      w.higher = m.t === 'prepR' ? t.phase1().higherBal : t.phase2().higherBal;
      w.bal = nextBallot(w.bal, w.higher);
      return startClassic(w);
    }
    if (w.phase === 'p1') return phase2(w, w.mode === 'kp' ? fastPathValue(null, mineOf(id, w.ver)) : fastPathValue(t.phase1().value, mineOf(id, w.ver)));
    const observe: KObs[] = [{ kind: 'chosen', instance: `k@${w.ver}`, value: fmt(w.val!) }];
    if (w.val!.vi64 === mineOf(id, w.ver).vi64) observe.push({ kind: 'acked', instance: `k@${w.ver}`, value: fmt(w.val!) });
    if (w.mode === 'kp' && w.ver + 1 < VERSIONS) {
      // the next version with the same ballot: phase 2 only
      w.ver++;
      return { ...phase2(w, mineOf(id, w.ver)), observe };
    }
    w.phase = 'done';
    return { observe };
  }

  return {
    nodes: KP_ACCEPTORS + opts.writers.length,
    initialDisk: (id) => (id < KP_ACCEPTORS ? { inst: Array.from({ length: VERSIONS }, () => EMPTY_STATE), kp: null, touched: -1n } : undefined),
    boot(id, d): KNode {
      if (id >= KP_ACCEPTORS) {
        const mode = opts.writers[id - KP_ACCEPTORS]!;
        return { kind: 'w', mode, bal: ballot(1, id), phase: 'idle', ver: mode === 'kp' ? opts.kpFrom : opts.classicVer, val: null, from: [], replies: [], fails: 0, higher: null, attempts: 0 };
      }
      return { kind: 'a', ...(d ?? { inst: Array.from({ length: VERSIONS }, () => EMPTY_STATE), kp: null, touched: -1n }) };
    },
    onMessage: (n, id, from, m) => (n.kind === 'a' ? onAcceptor(n, from, m) : onWriter(n, id, from, m)),
    // a phase timeout: the classic writer retries higher once; the key-promise writer gives up
    onTick: (n) => {
      if (n.kind !== 'w' || (n.phase !== 'p1' && n.phase !== 'p2')) return none;
      if (n.mode === 'kp' || n.attempts >= 1) {
        n.phase = 'done';
        return none;
      }
      n.attempts++;
      n.bal = nextBallot(n.bal, n.higher);
      return startClassic(n);
    },
    clientOps: (n) => (n.kind === 'w' && n.phase === 'idle' ? ['write'] : []),
    onClient: (n) => {
      if (n.kind !== 'w') return none;
      if (n.mode === 'classic') return startClassic(n);
      begin(n, 'p1');
      return { sendNow: all().map((to) => ({ to, msg: { t: 'kp', bal: n.bal } })) };
    },
    applyPersist: (_d, p) => p,
    describeMsg(m) {
      switch (m.t) {
        case 'kp':
          return `PrepareFrom(k@${opts.kpFrom}..)${formatBallot(m.bal)}`;
        case 'kpR':
          return `KeyPromise?${formatBallot(m.bal)} last=${formatBallot(m.lastBal)} touched=${m.touched}`;
        case 'prep':
          return `Prepare k@${m.ver} ${formatBallot(m.bal)}`;
        case 'prepR':
          return `Promise k@${m.ver} ${formatBallot(m.bal)} last=${formatBallot(m.r.lastBal)} vote=${m.r.val ? `${fmt(m.r.val)}@${formatBallot(m.r.vBal!)}` : '-'}`;
        case 'acc':
          return `Accept k@${m.ver} ${formatBallot(m.bal)}=${fmt(m.val)}`;
        case 'accR':
          return `Accepted? k@${m.ver} ${formatBallot(m.bal)} last=${formatBallot(m.r.lastBal)}`;
      }
    },
    describeOp: () => 'write',
  };
}

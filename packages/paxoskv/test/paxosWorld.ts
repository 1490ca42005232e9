// The paxoskv cores in the harness's message world (for test/explore.test.ts): acceptors
// 0..2 run the core acceptor rules (prepare/accept, the chosen guard) and the core recovery
// (mergeLearned, floorAbove, othersNeeded, withFloor); proposers 3.. run the KV client's
// phase logic for one instance (k@0), taking their phase 2 value from the core fastPathValue,
// as PaxosKvClient does. Replies leave only after the state they reveal is durable.
import type { Out, WorldSpec } from '@quorumkit/test-harness';
import {
  type AcceptorReply,
  type AcceptorState,
  type Ballot,
  EMPTY_STATE,
  type Value,
  accept,
  ballot,
  ballotEq,
  ballotGE,
  fastPathValue,
  floorAbove,
  formatBallot,
  i64Value,
  majority,
  maxBallot,
  mergeLearned,
  nextBallot,
  othersNeeded,
  prepare,
  withFloor,
} from '../src/core/index.js';

export const ACCEPTORS = 3;
export const INSTANCE = 'k@0';

export interface ADisk {
  state: AcceptorState;
  floor: Ballot | null;
  recovering: boolean;
}
export interface ANode extends ADisk {
  kind: 'a';
  learned: number[];
  seen: Ballot;
}
export interface PNode {
  kind: 'p';
  mine: Value;
  bal: Ballot;
  phase: 'idle' | 'p1' | 'p2' | 'done';
  val: Value | null;
  oks: number[];
  best: { vBal: Ballot; val: Value } | null;
  rejects: number[];
  higher: Ballot | null;
  attempts: number;
}
export type PNodeOrA = ANode | PNode;
export type PMsg =
  | { t: 'prep'; bal: Ballot }
  | { t: 'prepR'; bal: Ballot; r: AcceptorReply }
  | { t: 'acc'; bal: Ballot; val: Value }
  | { t: 'accR'; bal: Ballot; r: AcceptorReply }
  | { t: 'dump' }
  | { t: 'dumpR'; state: AcceptorState };
export type PObs = { kind: 'chosen' | 'acked'; instance: string; value: string };
export type POp = 'write';

export interface PaxosWorldOptions {
  proposers: number;
  /** the core's recovery on a wiped acceptor (false: the bug, it votes at once with nothing) */
  recovery: boolean;
  /** the fast path's value choice (the core's by default; a mutation for the negative checks) */
  fastPath: (phase1Value: Value | null, mine: Value) => Value;
  /** rounds a proposer may retry after a rejection */
  attemptsMax: number;
}

const fmt = (v: Value): string => v.vi64.toString();
const all = (): number[] => Array.from({ length: ACCEPTORS }, (_, i) => i);
const quorum = majority(ACCEPTORS);

export function paxosWorld(o: Partial<PaxosWorldOptions> = {}): WorldSpec<PNodeOrA, ADisk, ADisk, PMsg, POp, PObs> {
  const opts: PaxosWorldOptions = { proposers: 2, recovery: true, fastPath: fastPathValue, attemptsMax: 1, ...o };
  const none: Out<ADisk, PMsg, PObs> = {};
  const startPhase1 = (p: PNode): Out<ADisk, PMsg, PObs> => {
    p.phase = 'p1';
    p.oks = [];
    p.rejects = [];
    p.best = null;
    p.higher = null;
    return { sendNow: all().map((to) => ({ to, msg: { t: 'prep', bal: p.bal } })) };
  };
  const retry = (p: PNode): Out<ADisk, PMsg, PObs> => {
    if (p.attempts >= opts.attemptsMax) {
      p.phase = 'done';
      return none;
    }
    p.attempts++;
    p.bal = nextBallot(p.bal, p.higher);
    return startPhase1(p);
  };
  const acceptorPersist = (a: ANode): ADisk => ({ state: a.state, floor: a.floor, recovering: a.recovering });

  function onAcceptor(a: ANode, from: number, msg: PMsg): Out<ADisk, PMsg, PObs> {
    if (msg.t === 'dumpR') {
      if (!a.recovering || a.learned.includes(from)) return none;
      a.state = mergeLearned(a.state, msg.state);
      a.seen = maxBallot(a.seen, maxBallot(msg.state.lastBal, msg.state.vBal));
      a.learned = [...a.learned, from].sort();
      if (a.learned.length < othersNeeded(ACCEPTORS)) return none;
      a.floor = floorAbove(a.seen);
      a.recovering = false;
      return { persist: [acceptorPersist(a)] };
    }
    // a recovering acceptor answers nothing (RECOVERING), not even a peer's dump
    if (a.recovering) return none;
    if (msg.t === 'dump') return { send: [{ to: from, msg: { t: 'dumpR', state: a.state } }] };
    if (msg.t === 'prep' || msg.t === 'acc') {
      const cur = withFloor(a.state, a.floor);
      const step = msg.t === 'prep' ? prepare(cur, msg.bal) : accept(cur, msg.bal, msg.val);
      const out: Out<ADisk, PMsg, PObs> = { send: [{ to: from, msg: { t: msg.t === 'prep' ? 'prepR' : 'accR', bal: msg.bal, r: step.reply } }] };
      if (step.changed) {
        a.state = step.next;
        out.persist = [acceptorPersist(a)];
      }
      return out;
    }
    return none;
  }

  function onProposer(p: PNode, from: number, msg: PMsg): Out<ADisk, PMsg, PObs> {
    if (msg.t === 'prepR' && p.phase === 'p1' && ballotEq(msg.bal, p.bal)) {
      if (p.oks.includes(from) || p.rejects.includes(from)) return none;
      if (ballotGE(p.bal, msg.r.lastBal)) {
        p.oks = [...p.oks, from];
        if (msg.r.val && msg.r.vBal && (!p.best || ballotGE(msg.r.vBal, p.best.vBal))) p.best = { vBal: msg.r.vBal, val: msg.r.val };
        if (p.oks.length >= quorum) {
          p.phase = 'p2';
          p.val = opts.fastPath(p.best ? p.best.val : null, p.mine);
          p.oks = [];
          p.rejects = [];
          return { sendNow: all().map((to) => ({ to, msg: { t: 'acc', bal: p.bal, val: p.val! } })) };
        }
        return none;
      }
      p.rejects = [...p.rejects, from];
      p.higher = p.higher && ballotGE(p.higher, msg.r.lastBal) ? p.higher : msg.r.lastBal;
      return ACCEPTORS - p.rejects.length < quorum ? retry(p) : none;
    }
    if (msg.t === 'accR' && p.phase === 'p2' && ballotEq(msg.bal, p.bal)) {
      if (p.oks.includes(from) || p.rejects.includes(from)) return none;
      if (ballotGE(p.bal, msg.r.lastBal)) {
        p.oks = [...p.oks, from];
        if (p.oks.length < quorum) return none;
        p.phase = 'done';
        const chosen: PObs = { kind: 'chosen', instance: INSTANCE, value: fmt(p.val!) };
        const observe = [chosen];
        if (p.val!.vi64 === p.mine.vi64) observe.push({ kind: 'acked', instance: INSTANCE, value: fmt(p.mine) });
        return { observe };
      }
      p.rejects = [...p.rejects, from];
      p.higher = p.higher && ballotGE(p.higher, msg.r.lastBal) ? p.higher : msg.r.lastBal;
      return ACCEPTORS - p.rejects.length < quorum ? retry(p) : none;
    }
    return none;
  }

  return {
    nodes: ACCEPTORS + opts.proposers,
    initialDisk: (id) => (id < ACCEPTORS ? { state: EMPTY_STATE, floor: null, recovering: false } : undefined),
    boot(id, disk): PNodeOrA {
      if (id >= ACCEPTORS) {
        return { kind: 'p', mine: i64Value(id * 10), bal: ballot(1, id), phase: 'idle', val: null, oks: [], best: null, rejects: [], higher: null, attempts: 0 };
      }
      if (disk) return { kind: 'a', ...disk, learned: [], seen: ballot(0, 0) };
      // a wiped directory: the fix re-learns before voting; the bug votes at once with nothing
      return { kind: 'a', state: EMPTY_STATE, floor: null, recovering: opts.recovery, learned: [], seen: ballot(0, 0) };
    },
    onRestart(n, id) {
      if (n.kind !== 'a' || !n.recovering) return none;
      // durably "recovering" first, so a crash mid-recovery restarts recovering
      return { persist: [acceptorPersist(n)], sendNow: all().filter((i) => i !== id).map((to) => ({ to, msg: { t: 'dump' } })) };
    },
    onMessage: (n, _id, from, msg) => (n.kind === 'a' ? onAcceptor(n, from, msg) : onProposer(n, from, msg)),
    // a phase timeout: the proposer gives up on this round and retries with a higher ballot
    onTick: (n) => (n.kind === 'p' && (n.phase === 'p1' || n.phase === 'p2') ? retry(n) : none),
    clientOps: (n) => (n.kind === 'p' && n.phase === 'idle' ? ['write'] : []),
    onClient: (n) => (n.kind === 'p' ? startPhase1(n) : none),
    applyPersist: (_d, p) => p,
    describeMsg(m) {
      switch (m.t) {
        case 'prep':
          return `Prepare${formatBallot(m.bal)}`;
        case 'acc':
          return `Accept${formatBallot(m.bal)}=${fmt(m.val)}`;
        case 'prepR':
          return `Promise${formatBallot(m.bal)} last=${formatBallot(m.r.lastBal)} vote=${m.r.val ? `${fmt(m.r.val)}@${formatBallot(m.r.vBal!)}` : '-'}`;
        case 'accR':
          return `Accepted?${formatBallot(m.bal)} last=${formatBallot(m.r.lastBal)}`;
        case 'dump':
          return 'Dump';
        case 'dumpR':
          return `DumpReply vote=${m.state.val ? `${fmt(m.state.val)}@${formatBallot(m.state.vBal)}` : '-'} last=${formatBallot(m.state.lastBal)}`;
      }
    },
    describeOp: () => 'write',
  };
}

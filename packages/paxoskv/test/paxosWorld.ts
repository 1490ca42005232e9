// The paxoskv cores in the harness's message world (for test/explore.test.ts): acceptors
// 0..2 run the core acceptor rules (prepare/accept, the chosen guard) and the core recovery
// (mergeLearned, floorAbove, othersNeeded, withFloor); proposers 3.. run the KV client's
// phase logic for one instance (k@0), taking their phase 2 value from the core fastPathValue,
// as PaxosKvClient does, and counting replies with the core FencedTally (incarnation fencing).
// Replies leave only after the state they reveal is durable.
import type { Out, WorldSpec } from '@quorumkit/test-harness';
import {
  type AcceptorReply,
  type AcceptorState,
  type Ballot,
  EMPTY_STATE,
  FencedTally,
  IncarnationView,
  type ReplyOrigin,
  type Value,
  accept,
  ballot,
  ballotEq,
  fastPathValue,
  floorAbove,
  formatBallot,
  i64Value,
  judgeClaim,
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
  /** this acceptor's incarnation (0: bootstrapped, never recovered) and its recovery's nonce */
  inc: bigint;
  nonce: string;
  /** what it knows of the others' incarnations (recorded before it hands its state over) */
  known: ({ incarnation: bigint; nonce: string } | null)[];
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
  /** this phase's replies in arrival order, and the incarnations this writer has seen */
  got: { origin: ReplyOrigin; r: AcceptorReply }[];
  view: bigint[];
  higher: Ballot | null;
  attempts: number;
}
export type PNodeOrA = ANode | PNode;
export type PMsg =
  | { t: 'prep'; bal: Ballot }
  | { t: 'prepR'; bal: Ballot; r: AcceptorReply; origin: ReplyOrigin }
  | { t: 'acc'; bal: Ballot; val: Value }
  | { t: 'accR'; bal: Ballot; r: AcceptorReply; origin: ReplyOrigin }
  | { t: 'dump'; inc: bigint; nonce: string }
  | { t: 'dumpR'; inc: bigint; state: AcceptorState }
  | { t: 'dumpStale'; inc: bigint; known: bigint };
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
  /** proposers drop replies of incarnations known to be over (false: the recovery gap) */
  fencing: boolean;
}

const fmt = (v: Value): string => v.vi64.toString();
const all = (): number[] => Array.from({ length: ACCEPTORS }, (_, i) => i);
const quorum = majority(ACCEPTORS);

export function paxosWorld(o: Partial<PaxosWorldOptions> = {}): WorldSpec<PNodeOrA, ADisk, ADisk, PMsg, POp, PObs> {
  const opts: PaxosWorldOptions = { proposers: 2, recovery: true, fastPath: fastPathValue, attemptsMax: 1, fencing: true, ...o };
  const none: Out<ADisk, PMsg, PObs> = {};
  const startPhase1 = (p: PNode): Out<ADisk, PMsg, PObs> => {
    p.phase = 'p1';
    p.got = [];
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
  const acceptorPersist = (a: ANode): ADisk => ({ state: a.state, floor: a.floor, recovering: a.recovering, inc: a.inc, nonce: a.nonce, known: a.known });
  const origin = (a: ANode, id: number): ReplyOrigin => ({ acceptor: id, incarnation: a.inc, known: a.known.map((k) => k?.incarnation ?? 0n) });
  const dumps = (a: ANode, id: number): Out<ADisk, PMsg, PObs>['sendNow'] =>
    all().filter((i) => i !== id).map((to) => ({ to, msg: { t: 'dump', inc: a.inc, nonce: a.nonce } }));

  function onAcceptor(a: ANode, id: number, from: number, msg: PMsg): Out<ADisk, PMsg, PObs> {
    if (msg.t === 'dumpStale') {
      if (!a.recovering || msg.inc !== a.inc) return none;
      // someone knows this acceptor at an incarnation >= ours: start over above it
      a.inc = msg.known + 1n;
      a.learned = [];
      return { persist: [acceptorPersist(a)], send: dumps(a, id) };
    }
    if (msg.t === 'dumpR') {
      if (!a.recovering || msg.inc !== a.inc || a.learned.includes(from)) return none;
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
    if (msg.t === 'dump') {
      const claim = judgeClaim(a.known[from] ?? undefined, msg.inc, msg.nonce);
      if (!claim.serve) return { send: [{ to: from, msg: { t: 'dumpStale', inc: msg.inc, known: claim.known } }] };
      const reply: Out<ADisk, PMsg, PObs>['send'] = [{ to: from, msg: { t: 'dumpR', inc: msg.inc, state: a.state } }];
      if (!claim.record) return { send: reply };
      // the new incarnation is durable before the state is handed over
      a.known = all().map((i) => (i === from ? { incarnation: msg.inc, nonce: msg.nonce } : (a.known[i] ?? null)));
      return { persist: [acceptorPersist(a)], send: reply };
    }
    if (msg.t === 'prep' || msg.t === 'acc') {
      const cur = withFloor(a.state, a.floor);
      const step = msg.t === 'prep' ? prepare(cur, msg.bal) : accept(cur, msg.bal, msg.val);
      const out: Out<ADisk, PMsg, PObs> = { send: [{ to: from, msg: { t: msg.t === 'prep' ? 'prepR' : 'accR', bal: msg.bal, r: step.reply, origin: origin(a, id) } }] };
      if (step.changed) {
        a.state = step.next;
        out.persist = [acceptorPersist(a)];
      }
      return out;
    }
    return none;
  }

  /** Tally this phase's replies with the core FencedTally, from the writer's incarnation view. */
  function tally(p: PNode): FencedTally {
    const view = new IncarnationView(p.view);
    const t = new FencedTally(p.bal, ACCEPTORS, quorum, view);
    for (const g of p.got) t.add(opts.fencing ? g.origin : { acceptor: g.origin.acceptor, incarnation: 0n, known: [] }, g.r);
    p.view = view.snapshot();
    return t;
  }

  function onProposer(p: PNode, from: number, msg: PMsg): Out<ADisk, PMsg, PObs> {
    const phase = msg.t === 'prepR' ? 'p1' : msg.t === 'accR' ? 'p2' : null;
    if (phase === null || p.phase !== phase || (msg.t !== 'prepR' && msg.t !== 'accR') || !ballotEq(msg.bal, p.bal)) return none;
    if (p.got.some((g) => g.origin.acceptor === from)) return none;
    if (msg.origin.acceptor !== from) return none;
    p.got = [...p.got, { origin: msg.origin, r: msg.r }];
    const t = tally(p);
    if (t.state === 'pending') return none;
    if (t.state === 'rejected') {
      p.higher = phase === 'p1' ? t.phase1().higherBal : t.phase2().higherBal;
      return retry(p);
    }
    if (phase === 'p1') {
      p.phase = 'p2';
      p.val = opts.fastPath(t.phase1().value, p.mine);
      p.got = [];
      return { sendNow: all().map((to) => ({ to, msg: { t: 'acc', bal: p.bal, val: p.val! } })) };
    }
    p.phase = 'done';
    const observe: PObs[] = [{ kind: 'chosen', instance: INSTANCE, value: fmt(p.val!) }];
    if (p.val!.vi64 === p.mine.vi64) observe.push({ kind: 'acked', instance: INSTANCE, value: fmt(p.mine) });
    return { observe };
  }

  return {
    nodes: ACCEPTORS + opts.proposers,
    initialDisk: (id) => (id < ACCEPTORS ? { state: EMPTY_STATE, floor: null, recovering: false, inc: 0n, nonce: '', known: all().map(() => null) } : undefined),
    boot(id, disk): PNodeOrA {
      if (id >= ACCEPTORS) {
        return { kind: 'p', mine: i64Value(id * 10), bal: ballot(1, id), phase: 'idle', val: null, got: [], view: [], higher: null, attempts: 0 };
      }
      if (disk) return { kind: 'a', ...disk, learned: [], seen: ballot(0, 0) };
      // a wiped directory: the fix re-learns before voting (as incarnation 1 and up, with a nonce
      // of its own; one wipe per search, so one nonce); the bug votes at once with nothing
      return {
        kind: 'a', state: EMPTY_STATE, floor: null, recovering: opts.recovery, inc: 1n, nonce: `wiped-${id}`, known: all().map(() => null),
        learned: [], seen: ballot(0, 0),
      };
    },
    onRestart(n, id) {
      if (n.kind !== 'a' || !n.recovering) return none;
      // durably "recovering" first, so a crash mid-recovery restarts recovering
      return { persist: [acceptorPersist(n)], sendNow: dumps(n, id) };
    },
    onMessage: (n, id, from, msg) => (n.kind === 'a' ? onAcceptor(n, id, from, msg) : onProposer(n, from, msg)),
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
          return `Promise${formatBallot(m.bal)} last=${formatBallot(m.r.lastBal)} vote=${m.r.val ? `${fmt(m.r.val)}@${formatBallot(m.r.vBal!)}` : '-'} inc=${m.origin.incarnation} knows=[${m.origin.known.join(',')}]`;
        case 'accR':
          return `Accepted?${formatBallot(m.bal)} last=${formatBallot(m.r.lastBal)} inc=${m.origin.incarnation} knows=[${m.origin.known.join(',')}]`;
        case 'dump':
          return `Dump as incarnation ${m.inc}`;
        case 'dumpR':
          return `DumpReply vote=${m.state.val ? `${fmt(m.state.val)}@${formatBallot(m.state.vBal)}` : '-'} last=${formatBallot(m.state.lastBal)}`;
        case 'dumpStale':
          return `DumpStale (incarnation ${m.inc} not above the known ${m.known})`;
      }
    },
    describeOp: () => 'write',
  };
}

// Acceptors and proposers of the pure core wired into the harness simulator: every
// message goes through the simulated network (drops, duplicates, reorders, partitions)
// and any node may crash and restart with only what it synced.
import type { SimContext, SimNode, SimWorld } from '@quorumkit/test-harness';
import {
  type AcceptorReply,
  type AcceptorState,
  type Ballot,
  EMPTY_STATE,
  PaxosRun,
  type RunAction,
  type Value,
  accept,
  ballot,
  commit,
  formatBallot,
  formatValue,
  i64Value,
  prepare,
  valueEq,
} from '../src/core/index.js';

export type Msg =
  | { t: 'p1' | 'p2'; inst: number; run: number; round: number; bal: Ballot; val: Value | null }
  | { t: 'r'; inst: number; run: number; round: number; phase: 1 | 2; reply: AcceptorReply }
  | { t: 'commit'; inst: number; val: Value };

export interface SimSetup {
  acceptors: number;
  proposers: number;
  readers: number;
  instances: number;
  /** test-only fault: acceptors never sync (replies reveal state that a crash loses) */
  forgetfulAcceptors?: boolean;
}

/** What the invariant looks at: every vote ever cast, every decision any proposer made. */
export class Observer {
  /** inst -> "n/pid" -> { val, voters } */
  readonly votes = new Map<number, Map<string, { val: Value | null; voters: Set<number> }>>();
  readonly chosen = new Map<number, Value | null>();
  readonly decided: { inst: number; node: number; val: Value | null }[] = [];
  readonly finished = new Set<string>();

  constructor(readonly quorum: number) {}

  vote(inst: number, acceptor: number, bal: Ballot, val: Value | null): void {
    let byBal = this.votes.get(inst);
    if (!byBal) this.votes.set(inst, (byBal = new Map()));
    const k = `${bal.n}/${bal.proposerId}`;
    let v = byBal.get(k);
    if (!v) byBal.set(k, (v = { val, voters: new Set() }));
    if (!valueEq(v.val, val)) throw new Error(`ballot ${formatBallot(bal)} of instance ${inst} carried two values: ${formatValue(v.val)} and ${formatValue(val)}`);
    v.voters.add(acceptor);
    if (v.voters.size >= this.quorum) {
      if (this.chosen.has(inst) && !valueEq(this.chosen.get(inst)!, val)) {
        throw new Error(`instance ${inst}: two values chosen: ${formatValue(this.chosen.get(inst)!)} and ${formatValue(val)} (ballot ${formatBallot(bal)})`);
      }
      this.chosen.set(inst, val);
    }
  }

  decide(inst: number, node: number, val: Value | null): void {
    this.decided.push({ inst, node, val });
    if (val === null) return; // a read that found nothing voted
    if (!this.chosen.has(inst)) throw new Error(`node ${node} decided ${formatValue(val)} for instance ${inst} but no quorum voted for it`);
    if (!valueEq(this.chosen.get(inst)!, val)) {
      throw new Error(`node ${node} decided ${formatValue(val)} for instance ${inst}, chosen is ${formatValue(this.chosen.get(inst)!)}`);
    }
  }
}

const PHASE_TIMEOUT_MS = 60;

function acceptorNode(ctx: SimContext<Msg>, setup: SimSetup, obs: Observer): SimNode<Msg> {
  const load = (inst: number): AcceptorState => ctx.storage.get<AcceptorState>(`inst/${inst}`) ?? EMPTY_STATE;
  const save = (inst: number, s: AcceptorState): void => {
    ctx.storage.put(`inst/${inst}`, s);
    if (!setup.forgetfulAcceptors) ctx.storage.sync(); // durable BEFORE the reply leaves
  };
  return {
    onMessage(from, msg) {
      if (msg.t === 'commit') {
        const step = commit(load(msg.inst), msg.val);
        if (step.conflict) throw new Error(`acceptor ${ctx.id}: conflicting commit for instance ${msg.inst}`);
        if (step.changed) ctx.storage.put(`inst/${msg.inst}`, step.next); // a hint: no sync needed
        return;
      }
      if (msg.t !== 'p1' && msg.t !== 'p2') return;
      const s = load(msg.inst);
      const step = msg.t === 'p1' ? prepare(s, msg.bal) : accept(s, msg.bal, msg.val);
      if (step.changed) save(msg.inst, step.next);
      if (msg.t === 'p2' && step.changed) obs.vote(msg.inst, ctx.id, msg.bal, msg.val);
      ctx.send(from, { t: 'r', inst: msg.inst, run: msg.run, round: msg.round, phase: msg.t === 'p1' ? 1 : 2, reply: step.reply });
    },
  };
}

function proposerNode(ctx: SimContext<Msg>, setup: SimSetup, obs: Observer): SimNode<Msg> {
  const isReader = ctx.id >= setup.acceptors + setup.proposers;
  interface Live {
    run: PaxosRun;
    runId: number;
    phase: 1 | 2;
    waiting: Set<number>;
    attempt: number;
    cancelTimer?: () => void;
  }
  const live = new Map<number, Live>();
  let runs = 0;
  let done = 0;

  const broadcast = (inst: number, l: Live, a: Extract<RunAction, { type: 'prepare' | 'accept' }>): void => {
    l.phase = a.type === 'prepare' ? 1 : 2;
    l.waiting = new Set(Array.from({ length: setup.acceptors }, (_, i) => i));
    const t = a.type === 'prepare' ? 'p1' : 'p2';
    for (let i = 0; i < setup.acceptors; i++) {
      ctx.send(i, { t, inst, run: l.runId, round: a.round, bal: a.bal, val: a.type === 'accept' ? a.val : null });
    }
    l.cancelTimer?.();
    const round = a.round;
    const phase = l.phase;
    l.cancelTimer = ctx.setTimer(PHASE_TIMEOUT_MS, () => {
      if (l.run.currentRound !== round || l.phase !== phase || l.run.isDone) return;
      let next: RunAction = { type: 'wait' };
      for (const _ of [...l.waiting]) {
        const a = l.run.noReply(round);
        if (a.type !== 'wait') next = a; // the first decisive answer; later ones are 'wait'
      }
      l.waiting.clear();
      handle(inst, l, next);
    });
  };

  const handle = (inst: number, l: Live, a: RunAction): void => {
    switch (a.type) {
      case 'prepare':
      case 'accept':
        broadcast(inst, l, a);
        return;
      case 'retry': {
        l.cancelTimer?.();
        const cap = Math.min(200, 10 * 2 ** l.attempt++);
        l.cancelTimer = ctx.setTimer(Math.floor(ctx.random() * cap), () => handle(inst, l, l.run.begin()));
        return;
      }
      case 'done':
        l.cancelTimer?.();
        obs.decide(inst, ctx.id, a.value);
        ctx.log(`proposer ${ctx.id} decided ${formatValue(a.value)} for instance ${inst} in ${a.rounds} rounds`);
        if (a.value) for (let i = 0; i < setup.acceptors; i++) ctx.send(i, { t: 'commit', inst, val: a.value });
        if (++done === setup.instances) obs.finished.add(`${ctx.id}/${ctx.incarnation}`);
        return;
      case 'wait':
        return;
    }
  };

  return {
    onStart() {
      for (let inst = 0; inst < setup.instances; inst++) {
        // Unique per (node, incarnation, run): a ballot never carries two values.
        const pid = BigInt(ctx.id) * 1_000_000n + BigInt(ctx.incarnation) * 1_000n + BigInt(++runs);
        const value = isReader ? null : i64Value(ctx.id * 100 + inst);
        const l: Live = { run: new PaxosRun(value, setup.acceptors, ballot(1, pid)), runId: runs, phase: 1, waiting: new Set(), attempt: 0 };
        live.set(inst, l);
        // start at a random moment so proposers interleave
        ctx.setTimer(Math.floor(ctx.random() * 40), () => handle(inst, l, l.run.begin()));
      }
    },
    onMessage(from, msg) {
      if (msg.t !== 'r') return;
      const l = live.get(msg.inst);
      if (!l || l.runId !== msg.run || msg.round !== l.run.currentRound || msg.phase !== l.phase) return;
      if (!l.waiting.delete(from)) return; // a duplicate, or an answer we already gave up on
      handle(msg.inst, l, l.run.reply(msg.round, msg.reply));
    },
  };
}

export function createNode(setup: SimSetup, obs: Observer) {
  return (ctx: SimContext<Msg>): SimNode<Msg> => (ctx.id < setup.acceptors ? acceptorNode(ctx, setup, obs) : proposerNode(ctx, setup, obs));
}

/** Every proposer's latest incarnation finished every instance. */
export function allFinished(sim: SimWorld<Msg>, setup: SimSetup, obs: Observer, incarnations: Map<number, number>): boolean {
  for (let id = setup.acceptors; id < setup.acceptors + setup.proposers + setup.readers; id++) {
    if (!sim.isUp(id) || !obs.finished.has(`${id}/${incarnations.get(id) ?? 0}`)) return false;
  }
  return true;
}

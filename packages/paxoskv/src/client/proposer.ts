// The seed's Proposer with its exact API shape (phase1, phase2, runPaxos), except that
// each phase calls its acceptors in parallel and returns at quorum (quorumCall), and
// runPaxos backs off with jitter between rounds and gives up at a deadline.
import { backoffDelayMs, sleep } from '@quorumkit/shared-transport';
import {
  type AcceptorReply,
  type Ballot,
  FencedTally,
  IncarnationView,
  type ReplyOrigin,
  type Value,
  ballotGE,
  copyBallot,
  formatBallot,
  majority,
  nextBallot,
  firstChosen,
  keyPromiseHeld,
} from '../core/index.js';
import { ClusterViewError, NotEnoughQuorum, type NotEnoughQuorumError, PaxosDeadlineError } from '../errors.js';
import { ballotToWire, instanceToWire, replyFromWire, valueToWire, type WireAcceptor, type WireOpKind } from '../wire/codec.js';
import { type CancelSignal, PhaseSignal } from './cancelSignal.js';

export type { CancelSignal };

/** One acceptor's answer to one op, with who answered as which incarnation (null: not said). */
export interface AcceptorAnswer {
  reply: WireAcceptor;
  origin: ReplyOrigin | null;
}

/** Anything that can carry one op to acceptor `i` (an AcceptorLink per acceptor in practice). */
export interface AcceptorTransport {
  readonly size: number;
  /** the acceptors' incarnations seen in every reply so far (shared by every proposer of a client) */
  readonly incarnations: IncarnationView;
  describe(i: number): string;
  request(i: number, kind: WireOpKind, req: unknown, signal: CancelSignal): Promise<AcceptorAnswer>;
}

export interface PaxosTiming {
  /** the whole runPaxos gives up after this long */
  deadlineMs: number;
  /** one phase gives up after this long (bounded by what is left of deadlineMs) */
  phaseTimeoutMs: number;
  /** full-jitter backoff between rounds: cap baseMs * 2^attempt, at most maxMs */
  backoffMsBase: number;
  backoffMsMax: number;
  random?: () => number;
  /** backoff level to start from (a KV writer that already lost versions keeps its backoff) */
  backoffAttemptStart?: number;
}

export const paxosTimingDefaults: PaxosTiming = { deadlineMs: 5_000, phaseTimeoutMs: 1_500, backoffMsBase: 10, backoffMsMax: 300 };

export interface PhaseFailures {
  /** acceptors that did not answer at all, with why */
  unreachable: string[];
}

/** Why a phase's leftover calls are cancelled (shared: it carries no per-call state). */
const PHASE_OVER = Object.freeze(new Error('phase over: quorum decided or timed out'));

export class Proposer {
  /** transport failures seen by the last phase (to explain a deadline) */
  lastFailures: PhaseFailures = { unreachable: [] };
  /** phases (round trips) run by this proposer so far */
  rounds = 0;
  val: Value | null = null;
  bal: Ballot;

  constructor(
    private readonly transport: AcceptorTransport,
    readonly id: { key: string; ver: bigint },
    bal: Ballot,
    private readonly timing: PaxosTiming = paxosTimingDefaults,
  ) {
    this.bal = copyBallot(bal);
  }

  /**
   * Send one phase to `acceptorIds` in parallel and tally the replies as they come (early
   * quorum), dropping replies of an acceptor incarnation that is known to be over (fencing).
   */
  private phase(kind: 'PREPARE' | 'ACCEPT' | 'PREPARE_FROM', acceptorIds: number[], quorum: number, deadlineMs: number): Promise<{ tally: FencedTally; all: AcceptorReply[] }> {
    this.rounds++;
    const bal = copyBallot(this.bal);
    const req = { Id: instanceToWire(this.id), Bal: ballotToWire(bal), Val: kind === 'ACCEPT' ? valueToWire(this.val) : null };
    const tally = new FencedTally(bal, acceptorIds.length, quorum, this.transport.incarnations);
    const all: AcceptorReply[] = [];
    const failed: { target: number; error: unknown }[] = [];
    const answered = new Set<number>();
    const stop = new PhaseSignal();
    return new Promise((resolve) => {
      let finished = false;
      const finish = (timedOut: boolean): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        // one shared reason: no Error (and stack trace) built per phase
        stop.abort(PHASE_OVER);
        this.lastFailures = {
          unreachable: [
            ...failed.map((f) => `${this.transport.describe(f.target)} (${(f.error as Error)?.message ?? String(f.error)})`),
            ...(timedOut ? acceptorIds.filter((i) => !answered.has(i)).map((i) => `${this.transport.describe(i)} (no answer within ${deadlineMs} ms)`) : []),
          ],
        };
        this.viewRefusal = failed.find((f) => (f.error as { code?: unknown })?.code === 'ECLUSTERVIEW');
        resolve({ tally, all });
      };
      const timer = setTimeout(() => finish(true), Math.max(1, deadlineMs));
      let outstanding = acceptorIds.length;
      const settle = (): void => {
        outstanding--;
        if (tally.state !== 'pending' || outstanding === 0) finish(false);
      };
      for (const i of acceptorIds) {
        this.transport.request(i, kind, req, stop).then(
          (a) => {
            if (finished) return;
            answered.add(i);
            let r: AcceptorReply;
            try {
              r = replyFromWire(a.reply);
            } catch (e) {
              failed.push({ target: i, error: e });
              tally.fail();
              return settle();
            }
            this.reached.add(i);
            // a key promise not given (the acceptor holds state at or above this.id.ver) is no answer
            if (kind === 'PREPARE_FROM' && !keyPromiseHeld(bal, this.id.ver, { lastBal: r.lastBal, ver: a.reply.Ver === undefined ? null : BigInt(a.reply.Ver) })) {
              if (!ballotGE(bal, r.lastBal)) all.push(r);
              tally.fail();
              return settle();
            }
            all.push(r);
            // an acceptor that does not say who it is counts once, under a name no other uses
            tally.add(a.origin ?? { acceptor: -1 - i, incarnation: 0n, known: [] }, r);
            settle();
          },
          (e: unknown) => {
            if (finished) return;
            answered.add(i);
            failed.push({ target: i, error: e });
            tally.fail();
            settle();
          },
        );
      }
      if (acceptorIds.length === 0) finish(false);
    });
  }

  /** acceptors that answered at least once in this run (answering means reachable, whatever the verdict) */
  private readonly reached = new Set<number>();

  /** an acceptor's refusal of our cluster view in the last phase (reported at once, never retried) */
  private viewRefusal: { target: number; error: unknown } | undefined;

  private throwIfViewRefused(): void {
    if (this.viewRefusal) throwIfViewRefused([this.viewRefusal], (i) => this.transport.describe(i));
  }

  /** The seed's Phase1: {value, higherBal, err} with err === NotEnoughQuorum on failure. */
  async phase1(
    acceptorIds: number[],
    quorum: number,
    deadlineMs = this.timing.phaseTimeoutMs,
  ): Promise<{ value: Value | null; higherBal: Ballot | null; err: NotEnoughQuorumError | null; chosen: Value | null }> {
    const r = await this.phase('PREPARE', acceptorIds, quorum, deadlineMs);
    const t = r.tally.phase1();
    if (!t.ok) this.throwIfViewRefused();
    return { value: t.value, higherBal: t.higherBal, err: t.ok ? null : NotEnoughQuorum, chosen: firstChosen(r.all) };
  }

  /**
   * A multi-version promise (core keyPromise.ts): this.bal promised in every version >= this.id.ver
   * of the key by a quorum that held no state there, so each of those versions may take this
   * proposer's own value with phase 2 only (at most one value per version with this ballot).
   */
  async prepareFrom(acceptorIds: number[], quorum: number, deadlineMs = this.timing.phaseTimeoutMs): Promise<{ ok: boolean; higherBal: Ballot | null }> {
    const r = await this.phase('PREPARE_FROM', acceptorIds, quorum, deadlineMs);
    const t = r.tally.phase1();
    let higher: Ballot | null = null;
    for (const a of r.all) if (!ballotGE(this.bal, a.lastBal) && (higher === null || ballotGE(a.lastBal, higher))) higher = a.lastBal;
    return { ok: t.ok, higherBal: higher };
  }

  /** The seed's Phase2 with this.val: {higherBal, err}. */
  async phase2(
    acceptorIds: number[],
    quorum: number,
    deadlineMs = this.timing.phaseTimeoutMs,
  ): Promise<{ higherBal: Ballot | null; err: NotEnoughQuorumError | null; chosen: Value | null }> {
    const r = await this.phase('ACCEPT', acceptorIds, quorum, deadlineMs);
    const t = r.tally.phase2();
    if (!t.ok) this.throwIfViewRefused();
    return { higherBal: t.higherBal, err: t.ok ? null : NotEnoughQuorum, chosen: firstChosen(r.all) };
  }

  /**
   * The seed's RunPaxos: returns the chosen value (ours or the one already voted), or
   * null for a read (val === null) of an instance where nothing was voted.
   */
  async runPaxos(acceptorIds: number[], val: Value | null): Promise<Value | null> {
    const quorum = majority(acceptorIds.length);
    const deadline = Date.now() + this.timing.deadlineMs;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw this.deadlineError(acceptorIds.length, quorum);
      this.val = val;
      const p1 = await this.phase1(acceptorIds, quorum, Math.min(this.timing.phaseTimeoutMs, left));
      // An acceptor already learned the chosen value (COMMIT): nothing left to decide.
      if (p1.chosen) return (this.val = p1.chosen);
      if (p1.err === null) {
        if (p1.value !== null) this.val = p1.value;
        if (this.val === null) return null; // a read of an instance nobody voted in: one round
        const left2 = deadline - Date.now();
        if (left2 <= 0) throw this.deadlineError(acceptorIds.length, quorum);
        const p2 = await this.phase2(acceptorIds, quorum, Math.min(this.timing.phaseTimeoutMs, left2));
        if (p2.err === null) return this.val;
        if (p2.chosen) return (this.val = p2.chosen);
        this.bal = nextBallot(this.bal, p2.higherBal);
      } else {
        this.bal = nextBallot(this.bal, p1.higherBal);
      }
      const delay = backoffDelayMs(attempt + (this.timing.backoffAttemptStart ?? 0), { baseMs: this.timing.backoffMsBase, maxMs: this.timing.backoffMsMax, random: this.timing.random });
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    }
  }

  private deadlineError(n: number, quorum: number): PaxosDeadlineError {
    const id = `${this.id.key}@${this.id.ver}`;
    const down = this.lastFailures.unreachable;
    // a last phase cut short by the deadline says nothing about reachability: acceptors that
    // answered earlier in this run were reachable, and a quorum of them means contention
    if (this.reached.size < quorum && n - down.length < quorum) {
      return new PaxosDeadlineError(
        `${id}: no quorum reachable before the deadline: ${down.length} of ${n} acceptors unreachable: ${down.join('; ')}`,
      );
    }
    // the slow ones are named: a stalled acceptor and duelling proposers look alike from here
    const slow = down.length > 0 ? `; no answer in the last round from ${down.join('; ')}` : '';
    return new PaxosDeadlineError(`${id}: no value chosen before the deadline (contention; last ballot ${formatBallot(this.bal)}${slow})`);
  }
}

/**
 * An acceptor that refused our cluster view will refuse every retry too: report it at once
 * (the real cause) instead of retrying until the deadline says "no quorum".
 */
export function throwIfViewRefused(failed: readonly { target: unknown; error: unknown }[], describe: (i: number) => string): void {
  const refused = failed.find((f) => (f.error as { code?: unknown })?.code === 'ECLUSTERVIEW');
  if (!refused) return;
  const msg = ((refused.error as Error).message ?? '').replace(/^Batch: /, '');
  throw new ClusterViewError(`${describe(refused.target as number)} refused the request: ${msg}`);
}

// Wire messages, processor inputs and outputs of the pure protocol core.
// Slots and rounds are plain numbers: they count operations of one run and stay far below
// 2^53, and they travel as JSON numbers.

export const MSG_TYPES = ['READ', 'GATHER', 'IMPOSE', 'ACK', 'DECIDE', 'PROPOSE', 'COMMIT', 'NACK', 'BUMP', 'CATCHUP', 'FORWARD', 'RECOVER', 'STATE', 'HANDOVER'] as const;
export type MsgType = (typeof MSG_TYPES)[number];

/** One slot's value as accepted in `round` (an acceptor remembers the round it accepted in). */
export interface Entry {
  slot: number;
  round: number;
  key: string;
  data?: string;
}

/**
 * A protocol message. `seq` is the first slot it is about; `upTo` (exclusive) ends a range.
 * READ(round, seq): promise `round`, send me what you accepted from `seq` on.
 * GATHER(round, seq, entries): the promise plus accepted entries.
 * IMPOSE / PROPOSE(round, seq, upTo, entries): accept these (sync / streaming).
 * ACK(round, seq, upTo): accepted and durable. NACK(round): I promised a higher round.
 * DECIDE / COMMIT(round, seq, upTo): the slots in the range are chosen with the values of `round`;
 * DECIDE with entries: these exact values are chosen (catch-up answers).
 * BUMP(round): move to `round`. CATCHUP(seq): send me chosen values from `seq`.
 * FORWARD(entries[0]): a client value for the leader to propose.
 * RECOVER(seq): I lost my acceptor state; send me yours from `seq` on (a node that cannot prove
 * its state votes only after a majority of the others answered). STATE(round = promised, seq,
 * upTo, total, entries): one page of the answer; `total` is the answering acceptor's slot count.
 * HANDOVER(round, seq): sent by a leader right after the last batch of its round (same link, so
 * after it): promise `round` and send its leader a GATHER from `seq` on at once (every slot
 * below `seq` is chosen: the sender had a majority's ACKs for them).
 *
 * `inc` is the sender's incarnation (stamped by the shell on every message): a message from an
 * older incarnation than one already seen is dropped, and votes it cast are forgotten (fenced).
 * `incs` (on GATHER / ACK / STATE) is the sender's view of every node's incarnation, so a
 * leader learns of a restarted peer through any quorum member that heard of it.
 */
export interface Msg {
  type: MsgType;
  from: number;
  to: number;
  round: number;
  seq: number;
  upTo?: number;
  entries?: Entry[];
  hops?: number;
  total?: number;
  inc?: number;
  incs?: number[];
  /** On a DECIDE with `base`: the client keys seen in the dedup window below it. */
  keys?: KeySeen[];
  /**
   * On GATHER / STATE: the sender's acceptor forgot slots below this (chosen, compacted). On
   * DECIDE (a CATCHUP answer): the sender's learner truncated below this; all of them are chosen.
   */
  base?: number;
}

/** A committed client value's key, the slot holding its data and the slot it was last committed at. */
export type KeySeen = [key: string, first: number, last: number];

export interface CoreConfig {
  /** This node's rank. */
  id: number;
  /** Committee size. */
  n: number;
  /** No contact with the leader (or no progress as leader) for this long moves the round on. */
  timeoutMs: number;
  /** Slots a leader proposes in one round before it hands over (`-l`). */
  interval: number;
  /** Entries in one PROPOSE / IMPOSE. */
  batchSlotsMax: number;
  /** PROPOSE / IMPOSE batches in flight at once. */
  windowBatchesMax: number;
  /**
   * A leader hands its round on once every slot of it is sent and at most this many batches are
   * still unacknowledged (0: only once all are acknowledged). The next leader's read then
   * overlaps them; a larger tail costs the next leader more re-imposing.
   */
  overlapBatchesMax: number;
  /** Resend a READ or a batch to silent peers after this long. */
  retryMs: number;
  /** A follower with known-chosen slots it cannot fill asks for them after this long. */
  catchupMs: number;
  /** Entries in one catch-up answer. */
  catchupEntriesMax: number;
  /** Catch-up answers asked for at once. */
  catchupChunks: number;
  /**
   * A node whose learner is more than this many slots behind what it knows is chosen takes no
   * leader turn (it hands the round on) until it caught up: its read would start far behind and
   * stall the cluster while it re-proposes the gap.
   */
  lagSlotsMax: number;
  /** The learner asks the acceptor to compact every this many committed slots (0: never). */
  compactEverySlots: number;
  /**
   * A client key committed again within this many slots of its last commit is a duplicate (a
   * retry that raced a leader change): the slot is committed without the data. It must exceed
   * the distance two proposals of one key can land apart (a leader's pipeline, 8192 slots).
   */
  dedupWindowSlots: number;
  /** Client values a leader queues before it refuses more. */
  clientQueueMax: number;
  /** Leader invents values (the seed's test mode) when no client value is waiting. */
  generate: boolean;
  /** This start's incarnation: larger than every earlier incarnation of this node. */
  incarnation: number;
}

export const CORE_DEFAULTS: Omit<CoreConfig, 'id' | 'n'> = {
  timeoutMs: 10_000,
  interval: 100,
  batchSlotsMax: 512,
  windowBatchesMax: 16,
  overlapBatchesMax: 2,
  retryMs: 200,
  catchupMs: 100,
  catchupEntriesMax: 4096,
  catchupChunks: 4,
  lagSlotsMax: 8192,
  compactEverySlots: 262_144,
  dedupWindowSlots: 65_536,
  clientQueueMax: 65_536,
  generate: true,
  incarnation: 0,
};

/** Answers a recovering node needs: a majority of the *other* nodes. */
export function othersMajority(n: number): number {
  return majority(n - 1);
}

export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

export function leaderOf(round: number, n: number): number {
  return ((round % n) + n) % n;
}

/** Durable acceptor state changes, persisted (fsynced) before dependent messages leave. */
/** `r`: recovery finished with this ballot floor (the state before it is re-learned, not lost). */
/** `c`: the first record of a compacted log: slots below `base` are chosen and forgotten here. */
export type AcceptorRecord = { t: 'p'; r: number } | { t: 'a'; e: Entry } | { t: 'r'; floor: number } | { t: 'c'; base: number };

/** A line of `instancelog<i>.log`. */
export interface LogLine {
  kind: 'generate' | 'commit';
  key: string;
  slot: number;
  /** A committed client value's payload (kept in the value log beside the instance log). */
  data?: string;
}

export type ProcName = 'router' | 'leader' | 'follower' | 'consensus';

/** Events between the processors of one node (never across the network). */
export type LocalEvent =
  /** `handover`: the round came with its predecessor's HANDOVER (the acceptors answer it unasked). */
  | { kind: 'role'; round: number; lead: boolean; handover?: boolean }
  | { kind: 'bump'; round: number }
  | { kind: 'accepted'; entries: Entry[] }
  /** The learner's progress: `index` committed, `known` slots known chosen somewhere (lag = known - index). */
  | { kind: 'commitIndex'; index: number; known?: number }
  | { kind: 'leaderHint'; node: number }
  | { kind: 'client'; key: string; data: string; ref: number }
  | { kind: 'watch'; key: string; ref: number }
  /** The shell lost its connection to this peer (a killed process resets it at once). */
  | { kind: 'peerDown'; node: number }
  /** Node `node` restarted as incarnation `inc`: forget what its earlier incarnations said. */
  | { kind: 'fence'; node: number; inc: number }
  /** The acceptor re-learned its state (ballot floor `floor`) and votes again. */
  | { kind: 'recovered'; floor: number }
  /** This node committed every slot below `below`: the acceptor may forget them (compaction). */
  | { kind: 'compact'; below: number };

export type Input = { kind: 'net'; msg: Msg } | { kind: 'tick' } | LocalEvent;

/** What a processor wants done after handling inputs, in this order: persist, log, send. */
export interface Output {
  persist: AcceptorRecord[];
  lines: LogLine[];
  net: Msg[];
  local: Array<{ to: ProcName; ev: Input }>;
  replies: Array<{ ref: number; slot: number }>;
  /** The acceptor forgot the slots below this: the shell rewrites its log as a snapshot. */
  compact?: number;
  /**
   * The learner holds nothing below this any more: the shell records it as the log base
   * (durably) and then cuts the instance and values logs there.
   */
  truncate?: { base: number; keys: KeySeen[] };
}

export function emptyOutput(): Output {
  return { persist: [], lines: [], net: [], local: [], replies: [] };
}

/** Every processor core: feed inputs (with the current time), then take what to do. */
export interface Processor {
  handle(input: Input, nowMs: number): void;
  takeOutput(): Output;
}

export abstract class ProcessorBase implements Processor {
  protected out: Output = emptyOutput();
  abstract handle(input: Input, nowMs: number): void;
  takeOutput(): Output {
    const o = this.out;
    this.out = emptyOutput();
    return o;
  }
  protected emit(to: ProcName, ev: Input): void {
    this.out.local.push({ to, ev });
  }
}

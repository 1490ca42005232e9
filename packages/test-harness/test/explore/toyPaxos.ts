// A single-decree Paxos written for the explorer's own tests: 3 nodes, each an acceptor and a
// proposer (node 0 proposes x, node 2 proposes y). Two deliberate bugs can be switched on:
// an acceptor that answers a prepare before its promise is durable, and a wiped acceptor that
// votes at once. The correct version recovers a wiped acceptor from a majority of the others.
import type { Out, WorldSpec } from '../../src/index.js';

export interface ToyBugs {
  promiseBeforePersist?: boolean;
  wipedVotesAtOnce?: boolean;
}

export interface ToyDisk {
  promised: number;
  acc: number;
  val: string | null;
  ballotUsed: number;
}

export type ToyMsg =
  | { t: 'prep'; b: number }
  | { t: 'promise'; b: number; acc: number; val: string | null }
  | { t: 'acc'; b: number; v: string }
  | { t: 'accepted'; b: number }
  | { t: 'rq' }
  | { t: 'ra'; promised: number; acc: number; val: string | null };

export type ToyObs = { kind: 'chosen' | 'acked'; instance: string; value: string };

export class ToyNode {
  promised = 0;
  acc = 0;
  val: string | null = null;
  ballotUsed = 0;
  recovering = false;
  answers: Record<number, { promised: number; acc: number; val: string | null }> = {};
  /** Why each pending persist was made, oldest first (the world flushes in that order). */
  tags: string[] = [];
  phase: 'idle' | 'prepare' | 'accept' | 'done' = 'idle';
  ballot = 0;
  value: string | null = null;
  promises: Record<number, { acc: number; val: string | null }> = {};
  accepts: number[] = [];
  chosenValue: string | null = null;

  constructor(readonly id: number) {}
}

const N = 3;
const MAJORITY = 2;
const OTHERS_NEEDED = Math.floor(N / 2) + 1 - (N % 2 === 1 ? 0 : 0); // of the N-1 others
type O = Out<ToyDisk, ToyMsg, ToyObs>;

function disk(n: ToyNode): ToyDisk {
  return { promised: n.promised, acc: n.acc, val: n.val, ballotUsed: n.ballotUsed };
}

function persist(n: ToyNode, tag: string, out: O): void {
  n.tags.push(tag);
  (out.persist ??= []).push(disk(n));
}

function others(id: number): number[] {
  return [...Array(N).keys()].filter((j) => j !== id);
}

function tryAccept(n: ToyNode, out: O): void {
  if (n.phase !== 'prepare' || Object.keys(n.promises).length < MAJORITY) return;
  let best: { acc: number; val: string | null } | undefined;
  for (const p of Object.values(n.promises)) if (p.acc > 0 && (!best || p.acc > best.acc)) best = p;
  const v = best?.val ?? n.value!;
  n.phase = 'accept';
  n.accepts = [];
  n.chosenValue = v;
  if (n.ballot >= n.promised) {
    n.promised = n.ballot;
    n.acc = n.ballot;
    n.val = v;
    persist(n, 'own-accept', out);
  }
  (out.sendNow ??= []).push(...others(n.id).map((to) => ({ to, msg: { t: 'acc', b: n.ballot, v } as ToyMsg })));
}

function tryChosen(n: ToyNode, out: O): void {
  if (n.phase !== 'accept' || n.accepts.length < MAJORITY) return;
  n.phase = 'done';
  const v = n.chosenValue!;
  (out.observe ??= []).push({ kind: 'chosen', instance: '0', value: v });
  if (v === n.value) out.observe.push({ kind: 'acked', instance: '0', value: v });
}

export function toySpec(bugs: ToyBugs = {}): WorldSpec<ToyNode, ToyDisk, ToyDisk, ToyMsg, 'propose', ToyObs> {
  return {
    nodes: N,
    initialDisk: () => ({ promised: 0, acc: 0, val: null, ballotUsed: 0 }),
    boot(id, d) {
      const n = new ToyNode(id);
      if (d) Object.assign(n, d);
      else n.recovering = !bugs.wipedVotesAtOnce;
      return n;
    },
    onRestart(n) {
      return n.recovering ? { sendNow: others(n.id).map((to) => ({ to, msg: { t: 'rq' } as ToyMsg })) } : {};
    },
    clientOps(n) {
      return n.phase === 'idle' && !n.recovering && (n.id === 0 || n.id === 2) ? ['propose'] : [];
    },
    onClient(n) {
      const out: O = {};
      n.value = n.id === 0 ? 'x' : 'y';
      let b = n.id + 1;
      while (b <= Math.max(n.promised, n.ballotUsed)) b += N;
      n.ballot = b;
      n.ballotUsed = b;
      n.promised = b;
      n.phase = 'prepare';
      n.promises = {};
      persist(n, 'own-promise', out);
      out.sendNow = others(n.id).map((to) => ({ to, msg: { t: 'prep', b } as ToyMsg }));
      return out;
    },
    onPersisted(n) {
      const out: O = {};
      const tag = n.tags.shift();
      if (tag === 'own-promise' && n.phase === 'prepare' && n.promised === n.ballot) {
        n.promises[n.id] = { acc: n.acc, val: n.val };
        tryAccept(n, out);
      } else if (tag === 'own-accept' && n.phase === 'accept' && n.acc === n.ballot) {
        n.accepts.push(n.id);
        tryChosen(n, out);
      }
      return out;
    },
    onMessage(n, _id, from, m) {
      const out: O = {};
      switch (m.t) {
        case 'prep':
          if (n.recovering || m.b <= n.promised) break;
          n.promised = m.b;
          persist(n, 'promise', out);
          (bugs.promiseBeforePersist ? (out.sendNow ??= []) : (out.send ??= [])).push({ to: from, msg: { t: 'promise', b: m.b, acc: n.acc, val: n.val } });
          break;
        case 'acc':
          if (n.recovering || m.b < n.promised) break;
          n.promised = m.b;
          n.acc = m.b;
          n.val = m.v;
          persist(n, 'accept', out);
          (out.send ??= []).push({ to: from, msg: { t: 'accepted', b: m.b } });
          break;
        case 'promise':
          if (n.phase === 'prepare' && m.b === n.ballot && !(from in n.promises)) {
            n.promises[from] = { acc: m.acc, val: m.val };
            tryAccept(n, out);
          }
          break;
        case 'accepted':
          if (n.phase === 'accept' && m.b === n.ballot && !n.accepts.includes(from)) {
            n.accepts.push(from);
            tryChosen(n, out);
          }
          break;
        case 'rq':
          // Answer from durable state only: held until every pending persist is durable.
          if (!n.recovering) (out.send ??= []).push({ to: from, msg: { t: 'ra', promised: n.promised, acc: n.acc, val: n.val } });
          break;
        case 'ra': {
          if (!n.recovering) break;
          n.answers[from] = { promised: m.promised, acc: m.acc, val: m.val };
          const got = Object.values(n.answers);
          if (got.length < OTHERS_NEEDED) break;
          for (const a of got) {
            n.promised = Math.max(n.promised, a.promised, a.acc);
            if (a.acc > n.acc) {
              n.acc = a.acc;
              n.val = a.val;
            }
          }
          n.ballotUsed = n.promised;
          n.recovering = false;
          n.answers = {};
          persist(n, 'recovered', out);
          break;
        }
      }
      return out;
    },
    applyPersist: (_d, p) => p,
    describeMsg: (m) => JSON.stringify(m),
    nodeKey: (n) => JSON.stringify({ ...n, tags: n.tags }),
  };
}

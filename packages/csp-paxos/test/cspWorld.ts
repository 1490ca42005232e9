// The csp-paxos cores (router, acceptor, proposer, learner) in the harness's message world
// (for test/explore.test.ts). The wiring follows the shell's dispatch (src/server/node.ts), not
// the simulator's synchronous CoreNode: a processor's records are durable before anything of
// that turn leaves (messages to peers, messages to itself, events to the other processors),
// and later turns of the follower wait behind it (its loop awaits each dispatch). The leader's
// and learner's output leaves at once. Instance-log lines are writes too: a crash before they
// are durable loses them (the node re-learns those commits), and each is a ghost 'chosen'
// report (slot -> key) that the invariants keep even after that node crashed or was wiped.
// A node starts only once its new incarnation is durable (the shell writes the identity file
// before it listens), so a crash before that start never reuses an incarnation that spoke.
import type { Out, World, WorldSpec } from '@quorumkit/test-harness';
import { Acceptor, replayAcceptor } from '../src/core/acceptor.js';
import { type IdentityState, judgeDisk } from '../src/core/identity.js';
import { Learner } from '../src/core/learner.js';
import { Proposer } from '../src/core/proposer.js';
import { Router } from '../src/core/router.js';
import { type AcceptorRecord, CORE_DEFAULTS, type CoreConfig, type Entry, type Input, type Msg, type ProcName } from '../src/core/types.js';

export interface CDisk {
  inc: number;
  identity: Exclude<IdentityState, 'missing' | 'damaged'>;
  records: AcceptorRecord[];
  /** The instance log's commit lines, in slot order. */
  committed: Array<{ slot: number; key: string }>;
}

export type CPersist = AcceptorRecord | { t: 'id'; inc: number; identity: CDisk['identity'] } | { t: 'line'; slot: number; key: string } | { t: 'snap'; records: AcceptorRecord[] };

export interface Cores {
  router: Router;
  follower: Acceptor;
  leader: Proposer;
  consensus: Learner;
}

export interface CNode {
  id: number;
  inc: number;
  /** What the node boots with once its incarnation is durable. */
  boot: { recovering: boolean; reason: string; records: AcceptorRecord[]; committed: Entry[]; identity: CDisk['identity'] };
  phase: 'down' | 'starting' | 'up';
  cores: Cores | undefined;
  now: number;
  /** Own-node inputs held behind each pending persist (oldest first), as the shell holds them. */
  held: Array<Array<[ProcName, Input]>>;
  /** Client refs waiting for their commit: ref -> key. */
  refs: Record<number, string>;
  nextRef: number;
}

export type CObs = { kind: 'chosen' | 'acked'; instance: string; value: string };
export type COp = 'propose';

export interface CspWorldOptions {
  nodes: number;
  /**
   * The pre-item-1 behaviour, as a mutation: a wiped (empty) directory starts as a voter with an
   * empty acceptor state (the node "starts silently with an empty acceptor log").
   */
  wipedVotes: boolean;
  core: Partial<CoreConfig>;
}

/** The shell's clock-based incarnation after a wipe exceeds every earlier one (restarts in a search stay far below). */
const WIPED_INCARNATION = 1000;

export function coreConfig(id: number, n: number, inc: number, extra: Partial<CoreConfig> = {}): CoreConfig {
  return {
    ...CORE_DEFAULTS,
    id,
    n,
    // A tick of the world is one timer firing after a whole timeout (see onTick).
    timeoutMs: 100,
    retryMs: 100,
    catchupMs: 100,
    interval: 1_000_000,
    batchSlotsMax: 1,
    windowBatchesMax: 1,
    catchupEntriesMax: 4,
    catchupChunks: 1,
    generate: false,
    ...extra,
    incarnation: inc,
  };
}

export function cspWorld(o: Partial<CspWorldOptions> = {}): WorldSpec<CNode, CDisk, CPersist, Msg, COp, CObs> {
  const opts: CspWorldOptions = { nodes: 3, wipedVotes: false, core: {}, ...o };
  const n = opts.nodes;

  const procs = (c: Cores) => ({ router: c.router, follower: c.follower, leader: c.leader, consensus: c.consensus });

  /** Runs the queue to quiescence; collects what leaves this step. */
  function run(node: CNode, queue: Array<[ProcName, Input]>): Out<CPersist, Msg, CObs> {
    const out: Required<Out<CPersist, Msg, CObs>> = { persist: [], send: [], sendNow: [], observe: [] };
    const heldNow: Array<[ProcName, Input]> = [];
    const c = node.cores!;
    const p = procs(c);
    while (queue.length > 0) {
      const [to, input] = queue.shift()!;
      p[to].handle(input, node.now);
      const o = p[to].takeOutput();
      for (const m of o.net) m.inc = node.inc;
      const acceptorWrites = o.persist.length > 0;
      // The follower's loop awaits every dispatch: once it wrote anything, all it says waits.
      const hold = to === 'follower' && (acceptorWrites || o.compact !== undefined || node.held.length > 0 || out.persist.some((r) => r.t === 'p' || r.t === 'a' || r.t === 'r' || r.t === 'snap'));
      out.persist.push(...o.persist);
      // A compaction: the shell replaces the acceptor log by this snapshot (atomic rename).
      if (o.compact !== undefined) out.persist.push({ t: 'snap', records: [...p.follower.snapshot()] });
      for (const l of o.lines) {
        if (l.kind !== 'commit') continue;
        out.persist.push({ t: 'line', slot: l.slot, key: l.key });
        out.observe.push({ kind: 'chosen', instance: String(l.slot), value: l.key });
      }
      for (const m of o.net) {
        if (m.to === node.id) (hold ? heldNow : queue).push(['router', { kind: 'net', msg: m }]);
        else (hold ? out.send : out.sendNow).push({ to: m.to, msg: m });
      }
      for (const { to: t, ev } of o.local) (hold ? heldNow : queue).push([t, ev]);
      for (const r of o.replies) {
        const key = node.refs[r.ref];
        if (key === undefined) continue;
        delete node.refs[r.ref];
        out.observe.push({ kind: 'acked', instance: String(r.slot), value: key });
      }
    }
    // Same rule as the world's: a step with writes opens a new pending persist, else held
    // output joins the newest one.
    if (out.persist.length > 0) node.held.push(heldNow);
    else if (heldNow.length > 0) node.held[node.held.length - 1]!.push(...heldNow);
    return out;
  }

  function start(node: CNode): Out<CPersist, Msg, CObs> {
    const b = node.boot;
    const cfg = coreConfig(node.id, n, node.inc, opts.core);
    const state = replayAcceptor(b.records);
    const genKey = (slot: number, round: number): string => `g${round}.${slot}`;
    const router = new Router(cfg, state.promised, node.now, b.recovering);
    node.cores = {
      router,
      follower: new Acceptor(cfg, state, b.recovering),
      leader: new Proposer(cfg, genKey, b.committed.length),
      consensus: new Learner(cfg, b.committed),
    };
    node.phase = 'up';
    router.start(node.now);
    const first = router.takeOutput();
    const queue: Array<[ProcName, Input]> = first.local.map(({ to, ev }) => [to, ev]);
    return run(node, queue);
  }

  /** Write the new incarnation and identity; the node starts when that is durable. */
  function beginStart(node: CNode): Out<CPersist, Msg, CObs> {
    node.phase = 'starting';
    node.held.push([]);
    return { persist: [{ t: 'id', inc: node.inc, identity: node.boot.identity }] };
  }

  const none: Out<CPersist, Msg, CObs> = {};

  return {
    nodes: n,
    // An explicit bootstrap made every node a voter with nothing promised.
    initialDisk: () => ({ inc: 0, identity: 'voter', records: [], committed: [] }),
    boot(id, disk): CNode {
      const records = disk?.records ?? [];
      const committed: Entry[] = (disk?.committed ?? []).map((l) => ({ slot: l.slot, round: -1, key: l.key }));
      const state = replayAcceptor(records);
      let verdict = judgeDisk({
        identity: disk ? disk.identity : 'missing',
        acceptorLogExists: disk !== undefined,
        acceptorRecords: records.length,
        acceptorDamaged: false,
        recoveredMarker: state.recovered === true,
        committed: committed.length,
        bootstrap: false,
      });
      if (!disk && opts.wipedVotes) verdict = { vote: true, reason: 'MUTATION: a wiped directory votes at once' };
      return {
        id,
        inc: disk ? disk.inc + 1 : WIPED_INCARNATION,
        boot: { recovering: !verdict.vote, reason: verdict.reason, records, committed, identity: verdict.vote ? 'voter' : 'recovering' },
        phase: 'down',
        cores: undefined,
        now: 0,
        held: [],
        refs: {},
        nextRef: 1,
      };
    },
    onRestart: (node) => beginStart(node),
    onPersisted(node) {
      const batch = node.held.shift() ?? [];
      if (node.phase === 'starting') return start(node);
      return batch.length > 0 ? run(node, batch) : none;
    },
    onMessage(node, _id, _from, msg) {
      // Not listening before the incarnation is durable: the message is lost.
      if (node.phase !== 'up') return none;
      return run(node, [['router', { kind: 'net', msg }]]);
    },
    onTick(node) {
      // The nodes of the initial (bootstrapped) cluster start on their first timer.
      if (node.phase === 'down') return beginStart(node);
      if (node.phase !== 'up') return none;
      // One timer firing stands for a whole timeout passing: retries, heartbeats, catch-up
      // requests and round changes are all due.
      node.now += coreConfig(node.id, n, node.inc, opts.core).timeoutMs + 1;
      return run(node, (['router', 'leader', 'follower', 'consensus'] as const).map((p) => [p, { kind: 'tick' }]));
    },
    clientOps: (node) => (node.phase === 'up' && !node.cores!.follower.recovering ? ['propose'] : []),
    onClient(node, _id, _op) {
      const ref = node.nextRef++;
      const key = `c${node.id}.${node.inc}.${ref}`;
      node.refs[ref] = key;
      return run(node, [['router', { kind: 'client', key, data: '', ref }]]);
    },
    applyPersist(disk, p): CDisk {
      const d: CDisk = disk ?? { inc: 0, identity: 'recovering', records: [], committed: [] };
      if (p.t === 'id') {
        d.inc = p.inc;
        d.identity = p.identity;
      } else if (p.t === 'snap') {
        d.records = [...p.records];
      } else if (p.t === 'line') {
        // The instance log keeps its contiguous prefix (recoverCommitted).
        if (p.slot === d.committed.length) d.committed.push({ slot: p.slot, key: p.key });
      } else {
        d.records.push(p);
        if (p.t === 'r') d.identity = 'voter';
      }
      return d;
    },
    // Fast copies and keys (the generic ones cost most of the search): configs are shared
    // (never changed after start), everything else is copied; keys are JSON in field order.
    clone: (node) => fastClone(node),
    nodeKey: (node) => JSON.stringify(node, keyReplacer),
    diskKey: (disk) => JSON.stringify(disk ?? null),
    describeMsg(m) {
      const range = m.upTo !== undefined ? `[${m.seq},${m.upTo})` : `@${m.seq}`;
      const ents = m.entries && m.entries.length > 0 ? ` ${m.entries.map((e) => `${e.slot}=${e.key}@r${e.round}`).join(',')}` : '';
      return `${m.type} r${m.round} ${range}${ents}${m.inc !== undefined ? ` inc${m.inc}` : ''}`;
    },
    describeOp: () => 'propose',
  };
}

export type CWorld = World<CNode, CDisk, CPersist, Msg, CObs>;

/** Stats counters that do not change behaviour, and the fixed config: not part of a state's identity. */
const KEY_SKIP = new Set(['cfg', 'bumps', 'fenced', 'committedCount', 'chosenSlots', 'genKey', 'boot']);

function keyReplacer(this: unknown, k: string, v: unknown): unknown {
  if (KEY_SKIP.has(k)) return undefined;
  if (v instanceof Map) return ['M', ...v];
  if (v instanceof Set) return ['S', ...v];
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  return v;
}

function fastClone<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fastClone) as T;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, fastClone(x)])) as T;
  if (v instanceof Set) return new Set(v) as T;
  const out = Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = k === 'cfg' ? x : fastClone(x);
  return out as T;
}

// Runs the pure core of five nodes in the test-harness deterministic simulator.
import { simulate, type SimFaults, type SimStorage, type SimWorld } from '@quorumkit/test-harness';
import { replayAcceptor } from '../src/core/acceptor.js';
import { type IdentityState, judgeDisk } from '../src/core/identity.js';
import { checkLogs, type CheckResult, type ParsedLog } from '../src/core/check.js';
import { CoreNode } from '../src/core/node.js';
import { CORE_DEFAULTS, type AcceptorRecord, type CoreConfig, type Entry, type KeySeen, type Msg } from '../src/core/types.js';

export interface SimRunOptions {
  seed: number;
  maxTimeMs?: number;
  healAtMs?: number;
  faults?: SimFaults;
  core?: Partial<CoreConfig>;
  /**
   * Model the real shell's fsync: records are written at once but made durable (sync) only after
   * a delay in this range; every message and reply produced meanwhile waits behind that sync
   * (the shell sends nothing before the records it depends on are durable; holding every
   * processor's messages, not only the follower's, is stricter than the shell). A crash
   * in between loses the unsynced records (a torn prefix with faults.tornWrites) and the held
   * output. Without it, persist syncs at once.
   */
  fsyncMs?: [number, number];
  setup?(world: SimWorld<Msg>, nodes: () => Array<CoreNode | undefined>): void;
}

export interface SimRunResult {
  world: SimWorld<Msg>;
  logs: ParsedLog[];
  check: CheckResult;
  replies: Array<{ node: number; ref: number; slot: number }>;
  /** Acceptor compactions over all nodes. */
  compactions: number;
  /** values<i>.log of every node: slot -> payload of a committed client value. */
  values: Array<Map<number, string>>;
  /** Instance-log truncations over all nodes (jumps to a peer's base included). */
  truncations: number;
}

function restore(storage: SimStorage): { records: AcceptorRecord[]; state: ReturnType<typeof replayAcceptor> } {
  const records: AcceptorRecord[] = [];
  const base = storage.get<number>('c');
  if (base !== undefined) records.push({ t: 'c', base });
  const p = storage.get<number>('p');
  if (p !== undefined) records.push({ t: 'p', r: p });
  for (const k of storage.keys('a/')) records.push({ t: 'a', e: storage.get<Entry>(k)! });
  const floor = storage.get<number>('r');
  if (floor !== undefined) records.push({ t: 'r', floor });
  return { records, state: replayAcceptor(records) };
}

export function runSim(opts: SimRunOptions): SimRunResult {
  const n = 5;
  const tickMs = 10;
  // Instance logs live outside the nodes: a killed process's written lines survive it.
  const logs: ParsedLog[] = Array.from({ length: n }, (_, i) => ({ node: i, base: 0, generated: [], committed: [], badLines: [] }));
  const nodes: Array<CoreNode | undefined> = new Array(n).fill(undefined);
  const replies: SimRunResult['replies'] = [];
  let compactions = 0;
  let truncations = 0;
  // Saved with the base (the shell's snapshot<i>.json): the dedup window's client keys.
  const keysOf: KeySeen[][] = Array.from({ length: n }, () => []);
  // values<i>.log: the payloads of committed client values by slot (they survive a crash).
  const values: Array<Map<number, string>> = Array.from({ length: n }, () => new Map());
  const world = simulate<Msg>({
    seed: opts.seed,
    nodes: n,
    maxTimeMs: opts.maxTimeMs ?? 4000,
    healAtMs: opts.healAtMs ?? 2500,
    tickMs,
    faults: opts.faults ?? {},
    setup: opts.setup ? (w) => opts.setup!(w, () => nodes) : undefined,
    create(ctx) {
      const cfg: CoreConfig = {
        ...CORE_DEFAULTS,
        id: ctx.id,
        n,
        timeoutMs: 150,
        interval: 20,
        batchSlotsMax: 4,
        windowBatchesMax: 3,
        retryMs: 40,
        catchupMs: 40,
        catchupEntriesMax: 16,
        // Small, so lagging nodes skip leader turns in these runs too.
        lagSlotsMax: 40,
        // Small, so acceptors compact (and leaders meet compacted acceptors) in these runs.
        compactEverySlots: 50,
        ...opts.core,
      };
      let counter = 0;
      // Output held behind a pending sync (see SimRunOptions.fsyncMs); dies with a crash.
      const held: Array<() => void> = [];
      let syncPending = false;
      const emit = (f: () => void): void => {
        if (syncPending) held.push(f);
        else f();
      };
      const syncSoon = (): void => {
        const f = opts.fsyncMs;
        if (!f) {
          ctx.storage.sync();
          return;
        }
        if (syncPending) return;
        syncPending = true;
        ctx.setTimer(f[0] + Math.floor(ctx.random() * (f[1] - f[0] + 1)), () => {
          // One sync covers everything written so far (group commit), then the held output leaves.
          ctx.storage.sync();
          syncPending = false;
          for (const g of held.splice(0)) g();
        });
      };
      // Payloads come back from the values log, as in the shell.
      const committed: Entry[] = logs[ctx.id]!.committed.map((c) => {
        const data = values[ctx.id]!.get(c.slot);
        return data === undefined ? { slot: c.slot, round: -1, key: c.key } : { slot: c.slot, round: -1, key: c.key, data };
      });
      // The same disk verdict as the real shell: the first start of every node is the bootstrap.
      const { records, state } = restore(ctx.storage);
      const identity = ctx.storage.get<IdentityState>('id') ?? 'missing';
      const verdict = judgeDisk({
        identity,
        acceptorLogExists: identity !== 'missing' || records.length > 0,
        acceptorRecords: records.length,
        acceptorDamaged: false,
        recoveredMarker: state.recovered === true,
        committed: (logs[ctx.id]!.base ?? 0) + committed.length,
        bootstrap: ctx.incarnation === 0,
      });
      if (identity === 'missing') {
        ctx.storage.put('id', verdict.vote ? 'voter' : 'recovering');
        ctx.storage.sync();
      }
      ctx.log(`n${ctx.id} start: ${verdict.reason}`);
      cfg.incarnation = ctx.incarnation + 1;
      const node = new CoreNode(
        cfg,
        { acceptor: state, committed, base: logs[ctx.id]!.base ?? 0, keys: keysOf[ctx.id], recovering: !verdict.vote },
        () => `k${ctx.id}i${ctx.incarnation}c${counter++}`,
        {
          persist(records) {
            for (const r of records) {
              if (r.t === 'p') ctx.storage.put('p', r.r);
              else if (r.t === 'r') ctx.storage.put('r', r.floor);
              else if (r.t === 'a') ctx.storage.put(`a/${String(r.e.slot).padStart(9, '0')}`, r.e);
            }
            syncSoon();
          },
          // Compaction: the base first, so a torn prefix of these writes still replays to a
          // state that forgets only chosen slots (the shell renames a synced snapshot: atomic).
          compact(_snapshot, base) {
            compactions++;
            ctx.storage.put('c', base);
            for (const k of ctx.storage.keys('a/')) if (Number(k.slice(2)) < base) ctx.storage.del(k);
            syncSoon();
          },
          // The shell records the base durably, then cuts the log: one atomic step here.
          truncate(base, keys) {
            truncations++;
            keysOf[ctx.id] = keys;
            const log = logs[ctx.id]!;
            log.base = base;
            log.committed = log.committed.filter((c) => c.slot >= base);
            log.generated = log.generated.filter((g) => g.slot >= base);
            for (const s of [...values[ctx.id]!.keys()]) if (s < base) values[ctx.id]!.delete(s);
          },
          send: (m) => emit(() => ctx.send(m.to, m)),
          // Log lines are not held: in the shell the leader and consensus processors (which
          // persist nothing) write theirs at once, before anything that depends on them.
          line(l) {
            const rec = { key: l.key, slot: l.slot, atMs: ctx.now() };
            if (l.kind === 'commit') logs[ctx.id]!.committed.push(rec);
            if (l.kind === 'commit' && l.data !== undefined) values[ctx.id]!.set(l.slot, l.data);
            else logs[ctx.id]!.generated.push(rec);
          },
          reply: (ref, slot) => emit(() => replies.push({ node: ctx.id, ref, slot })),
        },
        ctx.now(),
      );
      nodes[ctx.id] = node;
      const tick = (): void => {
        node.tick(ctx.now());
        ctx.setTimer(tickMs, tick);
      };
      return {
        onStart() {
          node.start(ctx.now());
          ctx.setTimer(tickMs, tick);
        },
        onMessage(from, msg) {
          if (from < 0 || (typeof msg === 'object' && msg !== null && typeof msg.type === 'string')) node.deliver(msg, ctx.now());
        },
      };
    },
  });
  return { world, logs, check: checkLogs(logs), replies, compactions, truncations, values };
}

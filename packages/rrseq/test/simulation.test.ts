// 800 seeded schedules in CI (~20 s on a loaded 2-core machine; SIM_SEEDS=3000 or more for
// torture) of the real protocol core:
// concurrent clients with mixed buffer sizes, message drops, duplicates and reorders,
// partitions, crash-restarts, and a minority of servers whose state is wiped on every
// crash. Safety: no ID is ever granted twice, every client's stream strictly increases.
// Liveness after the faults stop: every client gets IDs again.
import { runSeeds, simulate, type SimContext, type SimNode, type SimWorld } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { Engine, RangeBuffer, emptyState, engineConfig, errorResult, shouldPrefetch, type PeerOp, type PeerResult, type ReplicaState } from '../src/core/index.js';

type Msg =
  | { t: 'ops'; ops: PeerOp[] }
  | { t: 'res'; results: PeerResult[] }
  | { t: 'next'; req: number; name: string; size: bigint }
  | { t: 'got'; req: number; from: bigint; to: bigint; grant: string };

interface World {
  servers: number;
  granted: Array<[bigint, bigint]>;
  grants: Set<string>;
  issued: Map<number, bigint[]>;
  issuedAfterHeal: Map<number, number>;
  violations: string[];
  healAtMs: number;
  /** Long, widely spread message delays: writes arrive after crashes, wipes and recoveries. */
  slow: boolean;
  crashes: number;
  recoveries: number;
  /**
   * Like the real PeerClient: ops sent to a server that is down or cut off come back as
   * ERROR (after a short delay) instead of vanishing. Set in a third of the schedules.
   */
  errorWhenUnreachable: boolean;
  world?: SimWorld<Msg>;
  errorReplies: number;
}

type ServerNode = SimNode<Msg> & { engine: Engine };

function serverNode(ctx: SimContext<Msg>, w: World, onRecovered: () => void): ServerNode {
  const slow = w.slow;
  let seq = 0;
  const clients = new Map<number, { client: number; req: number }>();
  // Incarnation 0 starts as a member of the formed cluster (what an init installs); later
  // incarnations find what their disk kept (nothing, for a wiped one).
  const state = ctx.storage.get<ReplicaState>('state') ?? (ctx.incarnation === 0 ? emptyState(`s${ctx.id}`, true, 'sim') : undefined);
  const cfg = engineConfig(w.servers, ctx.id, {
    attemptTimeoutMs: slow ? 400 : 60,
    deadlineMs: slow ? 2_000 : 400,
    backoffBaseMs: 2,
    backoffMaxMs: 40,
    recoveryIntervalMs: slow ? 100 : 40,
    recoveryRoundTimeoutMs: slow ? 600 : 100,
  });
  let timerAt: number | undefined;
  let cancel: (() => void) | undefined;
  const engine: Engine = new Engine(cfg, state, {
    now: () => ctx.now(),
    random: () => ctx.random(),
    newIncarnation: () => `${ctx.id}.${ctx.incarnation}.${++seq}.${Math.floor(ctx.random() * 1e9)}`,
    sendPeer: (to, ops) => {
      const world = w.world;
      if (w.errorWhenUnreachable && world && (!world.isUp(to) || !world.connected(ctx.id, to))) {
        w.errorReplies += ops.length;
        ctx.setTimer(1 + Math.floor(ctx.random() * 20), () => {
          engine.onPeerResults(to, ops.map((op) => errorResult(op, 'ERROR')));
          schedule();
        });
        return;
      }
      // Slow profile: now and then a batch is held back far longer than any round, so writes
      // land after the target's peers crashed, lost their state and recovered.
      if (slow && ctx.now() < w.healAtMs && ctx.random() < 0.05) ctx.setTimer(300 + Math.floor(ctx.random() * 1_200), () => ctx.send(to, { t: 'ops', ops }));
      else ctx.send(to, { t: 'ops', ops });
    },
    persist: (done) => {
      ctx.storage.put('state', engine.snapshot());
      ctx.storage.sync();
      done(true);
    },
    completed: (req, from, to) => {
      const c = clients.get(req);
      clients.delete(req);
      if (c) ctx.send(c.client, { t: 'got', req: c.req, from, to, grant: `${ctx.id}.${ctx.incarnation}.${req}` });
    },
    log: (_l, m) => {
      if (m.startsWith('recovered') && ctx.incarnation > 0) onRecovered();
      ctx.log(m);
    },
  });
  const schedule = (): void => {
    const t = engine.nextWakeAt();
    if (t === undefined || (timerAt !== undefined && timerAt <= t)) return;
    cancel?.();
    timerAt = t;
    cancel = ctx.setTimer(Math.max(1, t - ctx.now()), () => {
      timerAt = undefined;
      engine.tick();
      schedule();
    });
  };
  let reqs = 0;
  return {
    engine,
    onStart() {
      engine.start();
      schedule();
    },
    onMessage(from, msg) {
      if (msg.t === 'ops') engine.handlePeerOps(from, msg.ops, (results) => ctx.send(from, { t: 'res', results }));
      else if (msg.t === 'res') engine.onPeerResults(from, msg.results);
      else if (msg.t === 'next') {
        const req = ++reqs;
        clients.set(req, { client: from, req: msg.req });
        engine.nextId(req, msg.name, msg.size);
      }
      schedule();
    },
  };
}

function clientNode(ctx: SimContext<Msg>, w: World, bufSize: number): SimNode<Msg> {
  const buf = new RangeBuffer();
  let inflight: { req: number; at: number } | undefined;
  let reqs = 0;
  let target = ctx.id % w.servers;
  const issued = w.issued.get(ctx.id) ?? [];
  w.issued.set(ctx.id, issued);
  const fetch = (): void => {
    if (inflight && ctx.now() - inflight.at < (w.slow ? 800 : 300)) return;
    if (inflight) target = (target + 1) % w.servers; // timed out: try another server
    inflight = { req: ++reqs, at: ctx.now() };
    ctx.send(target, { t: 'next', req: inflight.req, name: 'seq', size: BigInt(Math.max(1, bufSize)) });
  };
  const consume = (): void => {
    const id = buf.take();
    if (id !== undefined) {
      const last = issued[issued.length - 1];
      if (last !== undefined && id <= last) w.violations.push(`client ${ctx.id}: ${id} after ${last}`);
      issued.push(id);
      if (ctx.now() >= w.healAtMs) w.issuedAfterHeal.set(ctx.id, (w.issuedAfterHeal.get(ctx.id) ?? 0) + 1);
    }
    if (buf.available() === 0n || shouldPrefetch(buf.available(), bufSize, 0.5)) fetch();
    ctx.setTimer(1 + Math.floor(ctx.random() * 4), consume);
  };
  return {
    onStart: consume,
    onMessage(_from, msg) {
      // The network may duplicate a reply: the same grant counts once.
      if (msg.t !== 'got' || msg.from === 0n || w.grants.has(msg.grant)) return;
      w.grants.add(msg.grant);
      // Record the grant: it must not overlap any other grant, whoever asked for it.
      for (const [a, b] of w.granted) {
        if (msg.from < b && a < msg.to) w.violations.push(`[${msg.from},${msg.to}) overlaps [${a},${b})`);
      }
      w.granted.push([msg.from, msg.to]);
      buf.push(msg.from, msg.to);
      if (inflight?.req === msg.req) inflight = undefined;
    },
  };
}

function run(seed: number): World {
  const servers = seed % 2 === 0 ? 3 : 5;
  const slow = seed % 4 === 3;
  const bufs = [0, 1, 2, 16, 1024];
  const clientCount = 3;
  const w: World = { servers, granted: [], grants: new Set(), issued: new Map(), issuedAfterHeal: new Map(), violations: [], healAtMs: slow ? 2_500 : 1_500, slow, crashes: 0, recoveries: 0, errorWhenUnreachable: seed % 3 === 1, errorReplies: 0 };
  let recoveries = 0;
  const serverIds = [...Array(servers).keys()];
  const wiped = serverIds.slice(0, Math.floor((servers - 1) / 2));
  const maxDown = Math.floor((servers - 1) / 2);
  let formed = false;
  const bufOf = (id: number): number => bufs[(id + seed) % bufs.length]!;
  const world = simulate<Msg>({
    seed,
    nodes: servers + clientCount,
    maxTimeMs: slow ? 7_000 : 2_500,
    healAtMs: w.healAtMs,
    faults: {
      dropRate: 0.05,
      duplicateRate: 0.03,
      delayMs: slow ? [1, 200] : [1, 25],
      partitionRate: 0.01,
    },
    // Crashes start once every server has joined: a server that never joined counts
    // against the same minority budget as a wiped one.
    onTick: (world) => {
      if (!formed) {
        formed = serverIds.every((i) => (world.node(i) as ServerNode | undefined)?.engine.ready === true);
        return;
      }
      const now = world.now();
      if (now >= w.healAtMs || world.random() >= 0.04) return;
      const down = serverIds.filter((i) => !world.isUp(i)).length;
      const i = serverIds[Math.floor(world.random() * servers)]!;
      if (!world.isUp(i) || down >= maxDown) return;
      world.crash(i, { wipe: wiped.includes(i) });
      world.at(now + 10 + Math.floor(world.random() * (slow ? 100 : 240)), () => {
        if (!world.isUp(i)) world.restart(i);
      });
    },
    setup: (world) => {
      w.world = world;
    },
    create: (ctx) => (ctx.id < servers ? serverNode(ctx, w, () => recoveries++) : clientNode(ctx, w, bufOf(ctx.id))),
    invariant: () => {
      if (w.violations.length > 0) throw new Error(w.violations.join('; '));
    },
  });
  w.crashes = world.stats.crashes;
  w.recoveries = world.trace.length >= 0 ? recoveries : 0;
  return w;
}

describe('simulation', () => {
  it('never grants an ID twice under drops, reorders, partitions, crashes and wiped minorities', () => {
    let ids = 0;
    let crashes = 0;
    let recoveries = 0;
    let errorReplies = 0;
    const { runs } = runSeeds('rrseq-no-duplicates', (seed) => {
      const w = run(seed);
      const all = [...w.issued.values()].flat();
      ids += all.length;
      crashes += w.crashes;
      recoveries += w.recoveries;
      errorReplies += w.errorReplies;
      expect(new Set(all).size).toBe(all.length);
      for (const [client, list] of w.issued) {
        for (let i = 1; i < list.length; i++) if (list[i]! <= list[i - 1]!) throw new Error(`client ${client} not increasing`);
        // Liveness once the faults stop (and every wiped node has recovered).
        if ((w.issuedAfterHeal.get(client) ?? 0) === 0) throw new Error(`client ${client} got nothing after the heal`);
      }
    }, { seeds: 800 });
    expect(runs).toBeGreaterThan(0);
    expect(ids).toBeGreaterThan(runs * 100);
    // The schedules really did crash servers and rebuild wiped ones from their peers.
    expect(crashes).toBeGreaterThan(runs);
    expect(recoveries).toBeGreaterThan(runs / 4);
    // Unreachable peers did answer ERROR (as the real PeerClient does) in some schedules.
    expect(errorReplies).toBeGreaterThan(runs);
  }, 240_000);
});

import { describe, expect, it } from 'vitest';
import { Acceptor, replayAcceptor } from '../src/core/acceptor.js';
import { Learner } from '../src/core/learner.js';
import { Proposer } from '../src/core/proposer.js';
import { Router } from '../src/core/router.js';
import { CORE_DEFAULTS, type CoreConfig, type Entry, type Msg } from '../src/core/types.js';

const cfg = (id: number, over: Partial<CoreConfig> = {}): CoreConfig => ({ ...CORE_DEFAULTS, id, n: 5, timeoutMs: 1000, retryMs: 100, ...over });
const msg = (m: Partial<Msg> & Pick<Msg, 'type'>): Msg => ({ from: 0, to: 1, round: 0, seq: 0, ...m });
const e = (slot: number, round: number, key: string): Entry => ({ slot, round, key });

describe('acceptor', () => {
  it('promises a round durably, returns what it accepted, and NACKs older rounds', () => {
    const a = new Acceptor(cfg(1));
    a.handle({ kind: 'net', msg: msg({ type: 'READ', round: 5, from: 0 }) });
    let out = a.takeOutput();
    expect(out.persist).toEqual([{ t: 'p', r: 5 }]);
    expect(out.net[0]).toMatchObject({ type: 'GATHER', round: 5, to: 0, entries: [] });
    a.handle({ kind: 'net', msg: msg({ type: 'PROPOSE', round: 5, seq: 0, upTo: 2, entries: [e(0, 5, 'a'), e(1, 5, 'b')] }) });
    out = a.takeOutput();
    expect(out.persist).toHaveLength(2);
    expect(out.net[0]).toMatchObject({ type: 'ACK', round: 5, seq: 0, upTo: 2 });
    expect(out.local[0]).toMatchObject({ to: 'consensus', ev: { kind: 'accepted' } });
    a.handle({ kind: 'net', msg: msg({ type: 'READ', round: 3, from: 3 }) });
    expect(a.takeOutput().net[0]).toMatchObject({ type: 'NACK', round: 5, to: 3 });
    a.handle({ kind: 'net', msg: msg({ type: 'READ', round: 10, seq: 1 }) });
    expect(a.takeOutput().net[0]!.entries).toEqual([e(1, 5, 'b')]);
  });

  it('re-ACKs a retransmission without writing it again', () => {
    const a = new Acceptor(cfg(1));
    const p = msg({ type: 'PROPOSE', round: 2, seq: 0, upTo: 1, entries: [e(0, 2, 'a')] });
    a.handle({ kind: 'net', msg: p });
    a.takeOutput();
    a.handle({ kind: 'net', msg: p });
    const out = a.takeOutput();
    expect(out.persist).toEqual([]);
    expect(out.net[0]).toMatchObject({ type: 'ACK', round: 2 });
  });

  it('replays its records after a restart', () => {
    const st = replayAcceptor([{ t: 'p', r: 3 }, { t: 'a', e: e(0, 3, 'x') }, { t: 'a', e: e(0, 4, 'y') }, { t: 'a', e: e(2, 1, 'z') }]);
    expect(st.promised).toBe(4);
    expect(st.accepted[0]).toEqual(e(0, 4, 'y'));
    expect(st.accepted[1]).toBeUndefined();
    expect(st.accepted[2]).toEqual(e(2, 1, 'z'));
  });
});

describe('proposer (leader)', () => {
  /** Leading round 6; `handover`: handed it by the previous leader's HANDOVER (it is alive). */
  const start = (over: Partial<CoreConfig> = {}, handover = false) => {
    let c = 0;
    const p = new Proposer(cfg(1, over), () => `g${c++}`);
    p.handle(handover ? { kind: 'role', round: 6, lead: true, handover } : { kind: 'role', round: 6, lead: true }, 0);
    return p;
  };

  it('reads from everyone but proposes nothing before its own promise is durable', () => {
    const p = start({ interval: 4 });
    const out = p.takeOutput();
    expect(out.net.map((m) => [m.type, m.to])).toEqual([0, 1, 2, 3, 4].map((j) => ['READ', j]));
    for (const from of [0, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: [] }) }, 1);
    expect(p.takeOutput().net).toEqual([]);
    expect(p.phase).toBe('reading');
    p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from: 1, to: 1, entries: [] }) }, 2);
    expect(p.takeOutput().net.filter((m) => m.type === 'PROPOSE')).toHaveLength(5);
  });

  it('adopts per slot the value accepted in the highest round and fills holes with new values', () => {
    const p = start({ interval: 0 }, true);
    p.takeOutput();
    p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from: 1, to: 1, entries: [e(0, 2, 'old'), e(2, 1, 'c')] }) }, 1);
    p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from: 2, to: 1, entries: [e(0, 4, 'new')] }) }, 1);
    p.takeOutput();
    p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from: 3, to: 1, entries: [e(0, 3, 'mid')] }) }, 2);
    // Handed over, the adopted values wait half a retry (the previous leader may commit them), then go out.
    let out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'IMPOSE')).toEqual([]);
    // The filler for the hole at slot 1 is a generated instance, so rule 2 holds.
    expect(out.lines).toEqual([{ kind: 'generate', key: 'g0', slot: 1 }]);
    p.handle({ kind: 'tick' }, 2 + 50);
    out = p.takeOutput();
    const impose = out.net.filter((m) => m.type === 'IMPOSE');
    expect(impose).toHaveLength(5);
    expect(impose[0]!.entries).toEqual([e(0, 6, 'new'), e(1, 6, 'g0'), e(2, 6, 'c')]);

  });

  it('streams PROPOSE batches in a window, COMMITs on a majority, and hands over after -l slots', () => {
    const p = start({ interval: 6, batchSlotsMax: 2, windowBatchesMax: 2 });
    p.takeOutput();
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: [] }) }, 1);
    let out = p.takeOutput();
    const proposes = out.net.filter((m) => m.type === 'PROPOSE');
    expect(new Set(proposes.map((m) => m.seq))).toEqual(new Set([0, 2]));
    expect(out.lines.map((l) => l.slot)).toEqual([0, 1, 2, 3]);
    for (const from of [1, 2]) p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq: 0, upTo: 2, from, to: 1 }) }, 2);
    expect(p.takeOutput().net.some((m) => m.type === 'COMMIT')).toBe(false);
    p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq: 0, upTo: 2, from: 4, to: 1 }) }, 2);
    out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'COMMIT').map((m) => [m.seq, m.upTo])[0]).toEqual([0, 2]);
    expect(out.net.filter((m) => m.type === 'PROPOSE')[0]).toMatchObject({ seq: 4, upTo: 6 });
    // The last batch of the round is sent: the round is handed on at once (the next leader's
    // read overlaps these two batches' acknowledgements).
    expect(out.net.filter((m) => m.type === 'HANDOVER').map((m) => [m.to, m.round])).toEqual([0, 1, 2, 3, 4].map((j) => [j, 7]));
  });

  it('hands over with the last batches in flight and still commits them on a majority of their round', () => {
    const p = start({ interval: 4, batchSlotsMax: 2, windowBatchesMax: 2 });
    p.takeOutput();
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: [] }) }, 1);
    let out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'HANDOVER').map((m) => [m.to, m.round])).toEqual([0, 1, 2, 3, 4].map((j) => [j, 7]));
    // The router moved on: this node follows round 7 now.
    p.handle({ kind: 'role', round: 7, lead: false }, 2);
    p.takeOutput();
    expect(p.tail.size).toBe(2);
    for (const from of [1, 2]) p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq: 2, upTo: 4, from, to: 1 }) }, 3);
    expect(p.takeOutput().net).toEqual([]);
    // An ACK of another round is no evidence for round 6.
    p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 7, seq: 2, upTo: 4, from: 3, to: 1 }) }, 3);
    expect(p.takeOutput().net).toEqual([]);
    p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq: 2, upTo: 4, from: 4, to: 1 }) }, 3);
    out = p.takeOutput();
    const commits = out.net.filter((m) => m.type === 'COMMIT');
    expect(commits).toHaveLength(5);
    expect(commits[0]).toMatchObject({ round: 6, seq: 2, upTo: 4 });
    expect(p.tail.size).toBe(1);
    // A restarted acceptor's earlier ACK no longer counts toward the other batch.
    for (const from of [1, 2]) p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq: 0, upTo: 2, from, to: 1 }) }, 4);
    p.handle({ kind: 'fence', node: 2, inc: 9 }, 4);
    p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq: 0, upTo: 2, from: 3, to: 1 }) }, 4);
    expect(p.takeOutput().net).toEqual([]);
    // Kept at most a timeout after the handover.
    p.handle({ kind: 'tick' }, 2 + 1000 + 1);
    expect(p.tail.size).toBe(0);
  });

  it('handed a round by HANDOVER, sends no READ at once (it would race the old batch), only to the silent after a retry', () => {
    const p = new Proposer(cfg(2), () => 'g');
    p.handle({ kind: 'role', round: 7, lead: true, handover: true }, 0);
    expect(p.takeOutput().net).toEqual([]);
    for (const from of [2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 7, from, to: 2, seq: 4, base: 4, entries: [] }) }, 10);
    p.handle({ kind: 'tick' }, 100);
    expect(p.takeOutput().net.filter((m) => m.type === 'READ').map((m) => m.to)).toEqual([0, 1, 4]);
    expect(p.phase).toBe('reading');
  });

  it('with overlapBatchesMax 0 hands over only once every batch is acknowledged', () => {
    const p = start({ interval: 4, batchSlotsMax: 2, windowBatchesMax: 2, overlapBatchesMax: 0 });
    p.takeOutput();
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: [] }) }, 1);
    expect(p.takeOutput().net.filter((m) => m.type === 'HANDOVER')).toEqual([]);
    for (const seq of [0, 2]) for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq, from, to: 1 }) }, 2);
    const out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'HANDOVER').map((m) => [m.to, m.round])).toEqual([0, 1, 2, 3, 4].map((j) => [j, 7]));
  });

  it('re-imposes nothing below what its learner committed while it read', () => {
    const p = start({ interval: 2 }, true);
    p.takeOutput();
    const accepted = [e(0, 5, 'a'), e(1, 5, 'b'), e(2, 5, 'c')];
    for (const from of [1, 2]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: accepted }) }, 1);
    // The previous leader's COMMIT of slots 0-1 reached this node's learner meanwhile.
    p.handle({ kind: 'commitIndex', index: 2 }, 1);
    // (Node 3 lacks slot 2: only two answers hold it, so the read cannot tell it is chosen.)
    p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from: 3, to: 1, entries: accepted.slice(0, 2) }) }, 1);
    let out = p.takeOutput();
    // New slots go out at once; the adopted slot 2 waits half a retry for its own COMMIT.
    expect(out.net.filter((m) => m.type === 'PROPOSE')[0]).toMatchObject({ seq: 3, upTo: 5 });
    expect(out.net.filter((m) => m.type === 'IMPOSE')).toEqual([]);
    p.handle({ kind: 'tick' }, 1 + 50);
    out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'IMPOSE')[0]).toMatchObject({ seq: 2, upTo: 3, entries: [e(2, 6, 'c')] });
  });

  it('imposes no adopted slot the previous leader committed within the wait', () => {
    const p = start({ interval: 2 }, true);
    p.takeOutput();
    const accepted = [e(0, 5, 'a'), e(1, 5, 'b')];
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: from === 3 ? [] : accepted }) }, 1);
    p.takeOutput();
    p.handle({ kind: 'commitIndex', index: 2 }, 20);
    p.handle({ kind: 'tick' }, 1 + 50);
    p.handle({ kind: 'tick' }, 1 + 500);
    const out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'IMPOSE')).toEqual([]);
    // Nothing left to impose and the round's slots are sent: handed on.
    expect(out.net.filter((m) => m.type === 'HANDOVER').map((m) => [m.to, m.round])).toEqual([0, 1, 2, 3, 4].map((j) => [j, 7]));
  });

  it('after a fail-over (no HANDOVER) imposes the adopted slots at once, and a full window of them still takes one new batch', () => {
    const p = start({ interval: 100, batchSlotsMax: 2, windowBatchesMax: 2 });
    p.takeOutput();
    const accepted = [e(0, 5, 'a'), e(1, 5, 'b'), e(2, 5, 'c'), e(3, 5, 'd'), e(4, 5, 'x')];
    // Two of the three answers hold them: not provably chosen, so they are re-imposed.
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: from === 3 ? [] : accepted }) }, 1);
    let out = p.takeOutput();
    // Nobody else will commit them (the previous leader is gone) and learners commit in slot
    // order: the re-imposed slots go first, in the same instant as the first new values.
    const toNode2 = out.net.filter((m) => m.to === 2).map((m) => [m.type, m.seq, m.upTo]);
    expect(toNode2).toEqual([
      ['IMPOSE', 0, 2],
      ['IMPOSE', 2, 4],
      ['PROPOSE', 5, 7],
    ]);
    for (const seq of [0, 2]) for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq, upTo: seq + 2, from, to: 1 }) }, 2);
    out = p.takeOutput();
    // The extra batch counts in the window from then on; a freed slot takes the last adopted
    // slot before any further new value.
    expect(out.net.filter((m) => m.to === 2).map((m) => [m.type, m.seq, m.upTo])).toEqual([
      ['DECIDE', 0, 2],
      ['DECIDE', 2, 4],
      ['IMPOSE', 4, 5],
    ]);
  });

  it('commits what a majority of the answers hold in one round without re-imposing it, and re-imposes the rest in runs of consecutive slots', () => {
    const p = start({ interval: 100, batchSlotsMax: 4, windowBatchesMax: 3 });
    p.takeOutput();
    const answers: Record<number, Entry[]> = {
      1: [e(0, 5, 'a'), e(1, 5, 'b'), e(2, 5, 'c'), e(3, 4, 'd'), e(4, 5, 'x')],
      2: [e(0, 5, 'a'), e(1, 5, 'b'), e(3, 4, 'd'), e(4, 5, 'x')],
      3: [e(0, 5, 'a'), e(1, 5, 'b'), e(2, 5, 'c'), e(3, 4, 'd'), e(4, 3, 'y')],
    };
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: answers[from] }) }, 1);
    const toNode2 = p.takeOutput().net.filter((m) => m.to === 2);
    // Slots 0-1 (round 5) and 3 (round 4) are held by all three answers: chosen, committed in
    // the round they were accepted in. Slot 2 is held by two, slot 4's best (x) by two.
    expect(toNode2.map((m) => [m.type, m.round, m.seq, m.upTo])).toEqual([
      ['COMMIT', 5, 0, 2],
      ['COMMIT', 4, 3, 4],
      ['IMPOSE', 6, 2, 3],
      ['IMPOSE', 6, 4, 5],
      ['PROPOSE', 6, 5, 9],
    ]);
    expect(toNode2[2]!.entries).toEqual([e(2, 6, 'c')]);
    expect(toNode2[3]!.entries).toEqual([e(4, 6, 'x')]);
  });

  it('keeps its round for two timeouts while the acceptors sync (no ACK yet), then hands it on', () => {
    const p = start({ interval: 100 });
    p.takeOutput();
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: [] }) }, 1);
    p.takeOutput();
    // timeoutMs is 1000: the followers' routers still hear the leader's heartbeats meanwhile.
    p.handle({ kind: 'tick' }, 1 + 1500);
    expect(p.takeOutput().local.filter((l) => l.ev.kind === 'bump')).toEqual([]);
    expect(p.phase).toBe('streaming');
    p.handle({ kind: 'tick' }, 1 + 2001);
    expect(p.takeOutput().local).toContainEqual({ to: 'router', ev: { kind: 'bump', round: 7 } });
    expect(p.phase).toBe('idle');
  });

  it('steps down on a NACK with a higher round, and retransmits to silent peers', () => {
    const p = start({ batchSlotsMax: 1, windowBatchesMax: 1, interval: 5 });
    p.takeOutput();
    for (const from of [1, 2, 3]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: [] }) }, 1);
    p.takeOutput();
    p.handle({ kind: 'net', msg: msg({ type: 'ACK', round: 6, seq: 0, from: 2, to: 1 }) }, 50);
    p.handle({ kind: 'tick' }, 150);
    const resent = p.takeOutput().net.filter((m) => m.type === 'PROPOSE').map((m) => m.to);
    expect(resent.sort()).toEqual([0, 1, 3, 4]);
    p.handle({ kind: 'net', msg: msg({ type: 'NACK', round: 9, from: 4, to: 1 }) }, 160);
    expect(p.takeOutput().local).toContainEqual({ to: 'router', ev: { kind: 'bump', round: 9 } });
    expect(p.phase).toBe('idle');
  });
});

describe('proposer client values', () => {
  it('queues forwarded values, proposes them, and passes unproposed ones to the next leader', () => {
    let c = 0;
    const p = new Proposer(cfg(1, { generate: false, batchSlotsMax: 1, windowBatchesMax: 1 }), () => `g${c++}`);
    p.handle({ kind: 'role', round: 6, lead: true }, 0);
    for (const from of [0, 1, 2]) p.handle({ kind: 'net', msg: msg({ type: 'GATHER', round: 6, from, to: 1, entries: [] }) }, 1);
    p.takeOutput();
    const fwd = (key: string): Msg => msg({ type: 'FORWARD', from: 3, to: 1, round: 6, entries: [{ slot: -1, round: -1, key, data: `d-${key}` }] });
    p.handle({ kind: 'net', msg: fwd('x') }, 2);
    p.handle({ kind: 'net', msg: fwd('y') }, 2);
    const out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'PROPOSE' && m.to === 0)[0]!.entries).toEqual([{ slot: 0, round: 6, key: 'x', data: 'd-x' }]);
    expect(out.lines).toEqual([{ kind: 'generate', key: 'x', slot: 0 }]);
    p.handle({ kind: 'role', round: 7, lead: false }, 3);
    const handed = p.takeOutput().net.filter((m) => m.type === 'FORWARD');
    expect(handed).toEqual([expect.objectContaining({ to: 2, round: 7, entries: [expect.objectContaining({ key: 'y', data: 'd-y' })] })]);
  });
});

describe('learner (consensus)', () => {
  it('commits in slot order only, matching the COMMIT round', () => {
    const l = new Learner(cfg(2));
    l.handle({ kind: 'accepted', entries: [e(1, 3, 'b'), e(0, 3, 'a')] }, 0);
    l.handle({ kind: 'net', msg: msg({ type: 'COMMIT', round: 3, seq: 1, upTo: 2 }) }, 0);
    expect(l.takeOutput().lines).toEqual([]);
    l.handle({ kind: 'net', msg: msg({ type: 'COMMIT', round: 3, seq: 0, upTo: 1 }) }, 0);
    expect(l.takeOutput().lines).toEqual([
      { kind: 'commit', key: 'a', slot: 0 },
      { kind: 'commit', key: 'b', slot: 1 },
    ]);
  });

  it('does not commit a value accepted in another round; it catches up instead', () => {
    const l = new Learner(cfg(2, { catchupMs: 50 }));
    l.handle({ kind: 'accepted', entries: [e(0, 2, 'stale')] }, 0);
    l.handle({ kind: 'net', msg: msg({ type: 'COMMIT', round: 3, seq: 0, upTo: 1, from: 4 }) }, 0);
    expect(l.takeOutput().lines).toEqual([]);
    l.handle({ kind: 'tick' }, 100);
    expect(l.takeOutput().net).toEqual([expect.objectContaining({ type: 'CATCHUP', to: 4, seq: 0 })]);
    l.handle({ kind: 'net', msg: msg({ type: 'DECIDE', round: 0, seq: 0, upTo: 1, entries: [e(0, 3, 'chosen')] }) }, 101);
    expect(l.takeOutput().lines).toEqual([{ kind: 'commit', key: 'chosen', slot: 0 }]);
  });

  it('a value that arrives after its COMMIT is committed then', () => {
    const l = new Learner(cfg(2));
    l.handle({ kind: 'net', msg: msg({ type: 'COMMIT', round: 1, seq: 0, upTo: 1 }) }, 0);
    l.handle({ kind: 'accepted', entries: [e(0, 1, 'late')] }, 1);
    expect(l.takeOutput().lines).toEqual([{ kind: 'commit', key: 'late', slot: 0 }]);
  });

  it('answers CATCHUP from its committed prefix and replies to watched keys', () => {
    const l = new Learner(cfg(2), [e(0, 1, 'a'), e(1, 1, 'b')]);
    l.handle({ kind: 'watch', key: 'c', ref: 9 }, 0);
    l.handle({ kind: 'net', msg: msg({ type: 'DECIDE', seq: 2, upTo: 3, entries: [e(2, 1, 'c')] }) }, 0);
    expect(l.takeOutput().replies).toEqual([{ ref: 9, slot: 2 }]);
    l.handle({ kind: 'net', msg: msg({ type: 'CATCHUP', from: 4, seq: 1 }) }, 0);
    expect(l.takeOutput().net[0]).toMatchObject({ type: 'DECIDE', to: 4, entries: [e(1, 1, 'b'), e(2, 1, 'c')] });
  });
});

describe('router (message handler)', () => {
  it('bumps the round after a timeout without the leader and broadcasts BUMP', () => {
    const r = new Router(cfg(2), -1, 0);
    r.start(0);
    expect(r.takeOutput().local).toContainEqual({ to: 'leader', ev: { kind: 'role', round: 0, lead: false } });
    r.handle({ kind: 'net', msg: msg({ type: 'COMMIT', round: 0, from: 0, to: 2 }) }, 900);
    r.handle({ kind: 'tick' }, 1500);
    expect(r.takeOutput().net).toEqual([]);
    r.handle({ kind: 'tick' }, 2000);
    const out = r.takeOutput();
    expect(out.net.filter((m) => m.type === 'BUMP').map((m) => m.to)).toEqual([0, 1, 3, 4]);
    expect(r.estRound).toBe(1);
  });

  it('moves to a higher round it sees and tells the leader processor whether to lead', () => {
    const r = new Router(cfg(2), -1, 0);
    r.handle({ kind: 'net', msg: msg({ type: 'BUMP', round: 7, from: 3, to: 2 }) }, 10);
    expect(r.takeOutput().local).toContainEqual({ to: 'leader', ev: { kind: 'role', round: 7, lead: true } });
  });

  it('suspects the leader at once when its connection resets, and only the leader', () => {
    const r = new Router(cfg(2), -1, 0);
    r.handle({ kind: 'peerDown', node: 3 }, 5);
    expect(r.estRound).toBe(0);
    r.handle({ kind: 'peerDown', node: 0 }, 6);
    expect(r.estRound).toBe(1);
    expect(r.takeOutput().net.filter((m) => m.type === 'BUMP')).toHaveLength(4);
  });

  it('never leads a round it may have led before a restart', () => {
    const r = new Router(cfg(2), 7, 0);
    r.start(0);
    expect(r.takeOutput().local).toContainEqual({ to: 'leader', ev: { kind: 'role', round: 7, lead: false } });
  });
});

describe('a lagging node (issue 18 item 4)', () => {
  const lagCfg = cfg(1, { lagSlotsMax: 100, catchupEntriesMax: 50, catchupChunks: 3, catchupMs: 10 });

  it('takes no leader turn while its learner is behind, and leads once caught up', () => {
    const p = new Proposer(lagCfg, () => 'g');
    p.handle({ kind: 'commitIndex', index: 10, known: 500 }, 0);
    p.handle({ kind: 'role', round: 6, lead: true }, 0);
    let out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'READ')).toEqual([]);
    expect(out.local).toEqual([{ to: 'router', ev: { kind: 'bump', round: 7 } }]);
    expect(p.lagSkips).toBe(1);
    p.handle({ kind: 'commitIndex', index: 450, known: 500 }, 1);
    p.handle({ kind: 'role', round: 11, lead: true }, 1);
    out = p.takeOutput();
    expect(out.net.filter((m) => m.type === 'READ')).toHaveLength(5);
    expect(out.net[0]!.seq).toBe(450);
  });

  it('leads anyway when its turn comes back after a whole cycle of ranks (nobody better is up)', () => {
    const p = new Proposer(lagCfg, () => 'g');
    p.handle({ kind: 'commitIndex', index: 0, known: 1000 }, 0);
    p.handle({ kind: 'role', round: 6, lead: true }, 0);
    expect(p.takeOutput().net.filter((m) => m.type === 'READ')).toEqual([]);
    p.handle({ kind: 'role', round: 11, lead: true }, 1);
    expect(p.takeOutput().net.filter((m) => m.type === 'READ')).toHaveLength(5);
  });

  it('the learner tells the leader processor when COMMITs put it past the lag limit, and asks for several chunks at once', () => {
    const l = new Learner(lagCfg);
    l.handle({ kind: 'net', msg: msg({ type: 'COMMIT', round: 3, seq: 0, upTo: 400, from: 0 }) }, 0);
    const out = l.takeOutput();
    expect(out.local).toContainEqual({ to: 'leader', ev: { kind: 'commitIndex', index: 0, known: 400 } });
    l.handle({ kind: 'tick' }, 50);
    const asks = l.takeOutput().net.filter((m) => m.type === 'CATCHUP');
    expect(asks.map((m) => m.seq)).toEqual([0, 50, 100]);
  });
});

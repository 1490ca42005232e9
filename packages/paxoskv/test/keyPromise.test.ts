// The multi-version promise per key (PREPARE_FROM, core keyPromise.ts): the pure rules, the
// durable store, the KV client's one-round steady state, and recovery (Dump hands key promises
// over, so a re-learned acceptor's floor is above them).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AcceptorServer,
  AcceptorStore,
  EMPTY_STATE,
  LinkTransport,
  PaxosKvClient,
  Proposer,
  accept,
  ballot,
  ballotGE,
  i64Value,
  keyPromiseHeld,
  prepare,
  prepareFrom,
  serveAcceptors,
  startAcceptor,
  underKeyPromise,
} from '../src/index.js';
import { SLOW_OK } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'paxoskv-kp-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

describe('core prepareFrom / underKeyPromise', () => {
  it('promises only while nothing is held at or above from, and only ever upwards', () => {
    const b = ballot(2, 1);
    expect(prepareFrom(null, null, 5n, b, 4n)).toMatchObject({ covered: true, ok: true, changed: true, next: { from: 5n, bal: b } });
    // state at version 5 (touched 5): not covered, nothing changes
    expect(prepareFrom(null, null, 5n, b, 5n)).toMatchObject({ covered: false, ok: false, changed: false, next: null });
    const kp = { from: 5n, bal: b };
    // a lower ballot is refused with the promise as LastBal
    expect(prepareFrom(kp, null, 9n, ballot(1, 9), 4n)).toMatchObject({ ok: false, changed: false, lastBal: b });
    // a higher one from a later version keeps the lower from (never un-promises 5..8)
    expect(prepareFrom(kp, null, 9n, ballot(3, 0), 4n).next).toEqual({ from: 5n, bal: ballot(3, 0) });
    // the recovery floor counts as promised
    expect(prepareFrom(null, ballot(7, 0), 0n, ballot(6, 9), -1n)).toMatchObject({ ok: false, lastBal: ballot(7, 0) });
  });

  it('covered versions answer with the key promise; versions below it do not', () => {
    const kp = { from: 3n, bal: ballot(4, 4) };
    expect(underKeyPromise(EMPTY_STATE, 3n, kp).lastBal).toEqual(ballot(4, 4));
    expect(underKeyPromise(EMPTY_STATE, 2n, kp).lastBal).toEqual(ballot(0, 0));
    const higher = { ...EMPTY_STATE, lastBal: ballot(9, 9) };
    expect(underKeyPromise(higher, 8n, kp).lastBal).toEqual(ballot(9, 9));
    // so a lower Accept at a covered version is refused, an equal one taken
    expect(accept(underKeyPromise(EMPTY_STATE, 3n, kp), ballot(4, 3), i64Value(1)).changed).toBe(false);
    expect(accept(underKeyPromise(EMPTY_STATE, 3n, kp), ballot(4, 4), i64Value(1)).changed).toBe(true);
    expect(prepare(underKeyPromise(EMPTY_STATE, 7n, kp), ballot(1, 1)).reply.lastBal).toEqual(ballot(4, 4));
  });

  it('a proposer counts a reply as the promise only when covered and not above its ballot', () => {
    const b = ballot(2, 2);
    expect(keyPromiseHeld(b, 5n, { lastBal: ballot(1, 0), ver: 4n })).toBe(true);
    expect(keyPromiseHeld(b, 5n, { lastBal: ballot(1, 0), ver: 5n })).toBe(false);
    expect(keyPromiseHeld(b, 5n, { lastBal: ballot(3, 0), ver: -1n })).toBe(false);
    expect(keyPromiseHeld(b, 5n, { lastBal: ballot(0, 0), ver: null })).toBe(false);
  });
});

describe('AcceptorStore key promises', () => {
  it('are durable, cover later versions, and are refused where state exists', async () => {
    const d = await dir();
    let st = await AcceptorStore.open(d);
    await st.apply({ key: 'k', ver: 0n }, (s) => accept(s, ballot(1, 1), i64Value(5)));
    expect(await st.prepareFrom('k', 0n, ballot(2, 2))).toMatchObject({ ok: false, touched: 0n });
    expect(await st.prepareFrom('k', 1n, ballot(2, 2))).toMatchObject({ ok: true, touched: 0n });
    await st.close();
    st = await AcceptorStore.open(d);
    expect(await st.keyPromise('k')).toEqual({ from: 1n, bal: ballot(2, 2) });
    // version 6 was never written, yet it answers with the promise and refuses a lower ballot
    expect((await st.read({ key: 'k', ver: 6n })).lastBal).toEqual(ballot(2, 2));
    expect(await st.apply({ key: 'k', ver: 6n }, (s) => accept(s, ballot(2, 1), i64Value(9)))).toMatchObject({ lastBal: ballot(2, 2) });
    expect((await st.read({ key: 'k', ver: 6n })).val).toBeNull();
    // version 0 is below the promise: untouched by it
    expect((await st.read({ key: 'k', ver: 0n })).lastBal).toEqual(ballot(1, 1));
    await st.close();
  });
});

describe('KV client with key promises', () => {
  it('after the first set of a key, each set is one round, and every acceptor holds the promise', async () => {
    const servers: AcceptorServer[] = await serveAcceptors(3, { basePort: 0 });
    cleanups.push(async () => void (await Promise.allSettled(servers.map((s) => s.close()))));
    const kv = new PaxosKvClient({ acceptors: servers.map((s) => s.address), deadlineMs: 60_000, phaseTimeoutMs: 20_000 });
    cleanups.push(() => kv.close());
    await kv.set('k', 0n);
    const rounds: number[] = [];
    for (let i = 1; i <= 5; i++) rounds.push((await kv.set('k', BigInt(i))).rounds);
    expect(rounds).toEqual([1, 1, 1, 1, 1]);
    expect((await kv.get('k'))!).toMatchObject({ ver: 5n, value: 5n });
    for (const s of servers) expect((await s.store.keyPromise('k'))?.from).toBe(1n);
    // the COMMIT of each version rode on the next version's ACCEPT (PrevChosen): one op per set,
    // and every acceptor still learned every chosen value below the last
    for (const s of servers) {
      const commits = (await s.metrics.ops.get()).values.find((v) => v.labels.kind === 'COMMIT')?.value ?? 0;
      expect(commits).toBeLessThan(4);
      for (let v = 0n; v < 5n; v++) expect((await s.store.read({ key: 'k', ver: v })).chosen?.vi64).toBe(v);
    }
    // a second client takes the key over (higher ballot per version); the first one's stale promise
    // costs it a full round, never a wrong value
    const other = new PaxosKvClient({ acceptors: servers.map((s) => s.address), deadlineMs: 60_000, phaseTimeoutMs: 20_000 });
    cleanups.push(() => other.close());
    expect(await other.set('k', 100n)).toMatchObject({ ver: 6n, written: true });
    expect(await kv.set('k', 7n)).toMatchObject({ ver: 7n, written: true });
    for (let v = 0n; v <= 7n; v++) expect((await kv.get('k', { ver: v }))!.value).toBe(v === 6n ? 100n : v);
  }, 120_000);
});

describe('recovery hands key promises over', () => {
  it('a wiped acceptor re-learns a floor above the key promise and refuses a lower ballot at a covered version', async () => {
    const root = await dir();
    let servers: AcceptorServer[] = await serveAcceptors(3, { basePort: 0, data: root });
    cleanups.push(async () => void (await Promise.allSettled(servers.map((s) => s.close()))));
    const addrs = servers.map((s) => s.address);
    const kv = new PaxosKvClient({ acceptors: addrs, deadlineMs: 60_000, phaseTimeoutMs: 20_000 });
    cleanups.push(() => kv.close());
    await kv.set('k', 1n);
    // a key promise at (70,7) over k@5.. on every acceptor (its ballot is in no instance record)
    const p = new Proposer(new LinkTransport(kv.links), { key: 'k', ver: 5n }, ballot(70, 7), SLOW_OK);
    expect((await p.prepareFrom([0, 1, 2], 3)).ok).toBe(true);
    await servers[0]!.close();
    await rm(join(root, 'acceptor0'), { recursive: true, force: true });
    const a0 = await startAcceptor({ id: 0, address: addrs[0], data: join(root, 'acceptor0'), peers: addrs });
    servers = [a0, ...servers.slice(1)];
    await a0.recovered;
    expect(a0.mode()).toBe('voting');
    expect(a0.store.floor && ballotGE(a0.store.floor, ballot(70, 7))).toBe(true);
    const low = new Proposer(new LinkTransport([kv.links[0]!]), { key: 'k', ver: 9n }, ballot(69, 9), { ...SLOW_OK, deadlineMs: 60_000 });
    low.val = i64Value(3);
    expect((await low.phase2([0], 1)).err).not.toBeNull();
  }, 120_000);
});

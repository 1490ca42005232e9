// Anti-entropy by chosen summaries (issue 16, found by the certain-burst e2e at load average
// 17): a replica that lost both the accept and the commit notice of an entry never heard of
// it, and with no further write or read of that entity its data store stayed behind for good
// although the write was acknowledged. Each replica now tells its peers, every
// chosenGossipMs, how far the entities that advanced lately are chosen; a peer behind catches up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Certain, type ApplyFn } from '../src/index.js';
import { ChosenGossip } from '../src/engine/chosenGossip.js';
import { CoreNet } from './coreNet.js';
import { LocalNet } from './localNet.js';

const enc = new TextEncoder();
const apply: ApplyFn = (_e, _entry, value, tx) => tx.put(enc.encode('k'), value);
const live: Certain[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.allSettled(live.splice(0).map((c) => c.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('chosen summaries', () => {
  it('core: a peer chosen further makes the entity catch up from it; level or behind does nothing', () => {
    const net = new CoreNet(3, { localAcceptFirst: false });
    net.drop = (d) => d.to === 2; // replica 2 hears nothing of entries 1 and 2
    net.write(0, 7n, 'v1');
    net.run();
    net.write(0, 7n, 'v2');
    net.run();
    net.drop = () => false;
    expect(net.entity(2, 7n).maxChosen).toBe(0n);
    net.apply(2, net.entity(2, 7n).peerChosen(0, 0n, net.now));
    expect(net.queue).toEqual([]);
    net.apply(2, net.entity(2, 7n).peerChosen(0, 2n, net.now));
    net.run();
    expect(net.chosenValue(2, 7n, 1n)).toBe('v1');
    expect(net.chosenValue(2, 7n, 2n)).toBe('v2');
  });

  it('rounds list what advanced within the window, newest first, capped, and forget the rest', () => {
    const g = new ChosenGossip({ windowMs: 100, entitiesMax: 2, acceptorId: 0 });
    g.note(1n, 0);
    g.note(2n, 10);
    g.note(3n, 20);
    g.note(1n, 30); // 1 advanced again: newest
    const mc = (id: bigint) => id * 10n;
    expect(g.round(40, mc).flatMap((m) => m.chosen)).toEqual([{ entityId: 1n, maxChosen: 10n }, { entityId: 3n, maxChosen: 30n }]);
    expect(g.round(125, mc).flatMap((m) => m.chosen.map((c) => c.entityId))).toEqual([1n]); // 2 and 3 left the window
    expect(g.size).toBe(1);
    expect(g.round(1000, mc)).toEqual([]);
    expect(g.size).toBe(0);
  });

  it('engine: a replica that missed every message of a write learns it with no further traffic on the entity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certain-gossip-'));
    dirs.push(dir);
    const net = new LocalNet();
    const rs: Certain[] = [];
    for (let id = 0; id < 3; id++) {
      const c = new Certain({
        acceptorId: id, acceptorNum: 3, path: dir, apply, bootstrap: true, transport: net.transportFor(id),
        options: { cmdTimeoutMs: 20_000, retryMsBase: 30, tickMs: 20, chosenGossipMs: 50 },
      });
      await c.start();
      live.push(c);
      rs.push(c);
    }
    net.drop = (_from, to, msg) => to === 2 && msg.kind !== 'chosenSummary';
    await rs[0]!.write(9n, 1n, enc.encode('v1'));
    await rs[0]!.write(9n, 2n, enc.encode('v2'));
    expect(await rs[2]!.maxChosen(9n)).toBe(0n);
    net.drop = () => false;
    const deadline = Date.now() + 30_000;
    while ((await rs[2]!.maxChosen(9n)) < 2n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await rs[2]!.maxChosen(9n)).toBe(2n);
    // and it reaches the data store (the applier runs in the background)
    while (rs[2]!.maxCommitted(9n) < 2n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(rs[2]!.maxCommitted(9n)).toBe(2n);
  }, 60_000);
});

// Issue 18 items 1 and 3: what the disk proves at start, and logs of any size reopen.
import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DiskFacts, judgeDisk } from '../src/core/identity.js';
import type { AcceptorRecord } from '../src/core/types.js';
import { AcceptorLog, scanAcceptorLog } from '../src/storage/acceptorLog.js';
import { nextIncarnation, readIdentity, writeIdentity } from '../src/storage/identity.js';
import { recoverCommitted } from '../src/storage/instanceLog.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'csp-paxos-disk-'));
const facts = (f: Partial<DiskFacts>): DiskFacts => ({ identity: 'voter', acceptorLogExists: true, acceptorRecords: 5, acceptorDamaged: false, recoveredMarker: false, committed: 3, bootstrap: false, ...f });

describe('judgeDisk: a node that cannot prove its state does not vote', () => {
  it('intact state votes; a bootstrap of an empty directory votes', () => {
    expect(judgeDisk(facts({})).vote).toBe(true);
    expect(judgeDisk(facts({ identity: 'missing', acceptorLogExists: false, acceptorRecords: 0, committed: 0, bootstrap: true })).vote).toBe(true);
    expect(judgeDisk(facts({ identity: 'recovering', recoveredMarker: true })).vote).toBe(true);
  });
  it('every kind of loss re-learns first', () => {
    const lost: Array<Partial<DiskFacts>> = [
      { acceptorLogExists: false },
      { acceptorRecords: 0 },
      { acceptorDamaged: true },
      { identity: 'damaged' },
      { identity: 'recovering' },
      { identity: 'missing' },
      { identity: 'missing', acceptorLogExists: false, acceptorRecords: 0 },
      // An empty directory is only a new cluster when the operator says so.
      { identity: 'missing', acceptorLogExists: false, acceptorRecords: 0, committed: 0 },
      // A bootstrap flag never overrides evidence that a cluster existed.
      { identity: 'missing', acceptorLogExists: false, acceptorRecords: 0, committed: 7, bootstrap: true },
    ];
    for (const f of lost) expect(judgeDisk(facts(f)).vote, JSON.stringify(f)).toBe(false);
  });
});

describe('identity record', () => {
  it('round-trips, and a damaged record is reported as damaged', async () => {
    const d = dir();
    expect((await readIdentity(d)).state).toBe('missing');
    writeIdentity(d, { v: 1, replica: 2, incarnation: 9, state: 'voter' });
    expect(await readIdentity(d)).toEqual({ state: 'voter', record: { v: 1, replica: 2, incarnation: 9, state: 'voter' } });
    writeFileSync(join(d, 'identity'), 'garbage');
    expect((await readIdentity(d)).state).toBe('damaged');
    expect(nextIncarnation(9, 5)).toBe(10);
    expect(nextIncarnation(undefined, 1_700_000_000_000)).toBe(1_700_000_000_000);
  });
});

describe('acceptor log on disk', () => {
  it('streams a log much larger than one read chunk', async () => {
    const p = join(dir(), 'acceptor.log');
    const { log } = AcceptorLog.open(p, () => {});
    const recs: AcceptorRecord[] = [];
    for (let i = 0; i < 3000; i++) recs.push({ t: 'a', e: { slot: i, round: 1, key: `key${i}`, data: 'x'.repeat(i % 50) } });
    await log.append(recs);
    log.close();
    const seen: AcceptorRecord[] = [];
    const fd = openSync(p, 'r');
    const scan = scanAcceptorLog(fd, (r) => seen.push(r), 257);
    closeSync(fd);
    expect(scan).toMatchObject({ records: 3000, damaged: false });
    expect(seen).toEqual(recs);
  });

  it('tells a damaged log (bad record before good ones) from a torn tail, and keeps a copy', async () => {
    const d = dir();
    const p = join(d, 'acceptor.log');
    const { log } = AcceptorLog.open(p, () => {});
    await log.append([{ t: 'p', r: 1 }, { t: 'p', r: 2 }, { t: 'p', r: 3 }]);
    log.close();
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(p, 'utf8').split('\n');
    text[1] = text[1]!.replace('"r":2', '"r":7');
    writeFileSync(p, text.join('\n'));
    const seen: AcceptorRecord[] = [];
    const o = AcceptorLog.open(p, (r) => seen.push(r));
    o.log.close();
    expect(o.damaged).toBe(true);
    expect(seen).toEqual([{ t: 'p', r: 1 }]);
    expect(readdirSync(d).some((f) => f.startsWith('acceptor.log.damaged-'))).toBe(true);
    // A torn tail alone is not damage.
    appendFileSync(p, '12ab {"t":"p"');
    const t = AcceptorLog.open(p, () => {});
    t.log.close();
    expect(t.damaged).toBe(false);
    rmSync(d, { recursive: true });
  });

  it('recovers a long instance log read in chunks', () => {
    const p = join(dir(), 'instancelog0.log');
    let text = '';
    for (let i = 0; i < 40_000; i++) text += `generate Instance[k${i}] in seq ${i} at 1\ncommit Instance[k${i}] in seq ${i} at 1\n`;
    writeFileSync(p, `${text}commit Instance[torn`);
    const c = recoverCommitted(p);
    expect(c.length).toBe(40_000);
    expect(c[39_999]).toEqual({ slot: 39_999, round: -1, key: 'k39999' });
  });
});

import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AcceptorRecord } from '../src/core/types.js';
import { AcceptorLog } from '../src/storage/acceptorLog.js';
import { InstanceLogWriter, recoverCommitted } from '../src/storage/instanceLog.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'csp-paxos-storage-'));

function open(p: string): ReturnType<typeof AcceptorLog.open> & { recs: AcceptorRecord[] } {
  const recs: AcceptorRecord[] = [];
  const o = AcceptorLog.open(p, (r) => recs.push(r));
  return { ...o, recs };
}

describe('acceptor log', () => {
  it('group-commits concurrent appends and replays them after reopening', async () => {
    const p = join(dir(), 'a', 'acceptor.log');
    const { log } = open(p);
    await Promise.all([log.append([{ t: 'p', r: 1 }]), log.append([{ t: 'a', e: { slot: 0, round: 1, key: 'k' } }]), log.append([{ t: 'p', r: 2 }])]);
    expect(log.syncCount).toBeLessThanOrEqual(3);
    expect(log.syncCount).toBeGreaterThanOrEqual(1);
    log.close();
    const again = open(p);
    expect(again.recs).toEqual([{ t: 'p', r: 1 }, { t: 'a', e: { slot: 0, round: 1, key: 'k' } }, { t: 'p', r: 2 }]);
    again.log.close();
  });

  it('cuts a torn or corrupt tail and keeps appending after the good prefix', async () => {
    const p = join(dir(), 'acceptor.log');
    const { log } = open(p);
    await log.append([{ t: 'p', r: 1 }]);
    log.close();
    appendFileSync(p, 'deadbeef {"t":"p","r":99}\n1234 {"t":"p"');
    const r = open(p);
    expect(r.recs).toEqual([{ t: 'p', r: 1 }]);
    await r.log.append([{ t: 'p', r: 2 }]);
    r.log.close();
    expect(open(p).recs).toEqual([{ t: 'p', r: 1 }, { t: 'p', r: 2 }]);
  });
});

describe('instance log', () => {
  it('writes the seed format with integer timestamps and recovers the commit prefix', () => {
    const p = join(dir(), 'instancelog3.log');
    const w = new InstanceLogWriter(p);
    w.write([{ kind: 'generate', key: 'abc', slot: 0 }, { kind: 'commit', key: 'abc', slot: 0 }], 1700000000123);
    w.close();
    expect(readFileSync(p, 'utf8')).toBe('generate Instance[abc] in seq 0 at 1700000000123\ncommit Instance[abc] in seq 0 at 1700000000123\n');
    appendFileSync(p, 'commit Instance[def] in seq 1 at 17');
    expect(recoverCommitted(p)).toEqual([{ slot: 0, round: -1, key: 'abc' }]);
    // The torn line is gone, so the next line starts cleanly.
    expect(readFileSync(p, 'utf8').endsWith('1700000000123\n')).toBe(true);
  });

  it('a missing log is an empty history', () => {
    expect(recoverCommitted(join(dir(), 'nope.log'))).toEqual([]);
    const p = join(dir(), 'x.log');
    writeFileSync(p, '');
    expect(recoverCommitted(p)).toEqual([]);
  });
});

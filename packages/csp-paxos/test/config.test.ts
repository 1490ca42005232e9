import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, SYNC_DEADLINE_MS_MAX, defaultCommittee, parseDurationMs, parseSyncDeadlineMs, parsePortList, readConfigFile, resolveRank } from '../src/server/config.js';
import { blockedPeers, parseFaults } from '../src/server/faults.js';

describe('flags and schedules', () => {
  it("accepts the seed's committee as a list of ports; -i and the config id must agree", () => {
    const p = join(mkdtempSync(join(tmpdir(), 'csp-paxos-cfg-')), 'c.json');
    writeFileSync(p, JSON.stringify({ id: 2, n: 5, f: 2, port: 10020, committee: [10000, 10010, 10020, 10030, 10040] }));
    const c = readConfigFile(p);
    expect(c.committee).toEqual([0, 1, 2, 3, 4].map((id) => ({ id, host: '127.0.0.1', port: 10000 + 10 * id })));
    expect(resolveRank(undefined, c)).toBe(2);
    expect(resolveRank(2, c)).toBe(2);
    expect(() => resolveRank(3, c)).toThrow(/disagrees/);
    expect(() => resolveRank(undefined, undefined)).toThrow(ConfigError);
  });

  it('-o takes seconds by default and accepts ms / s suffixes', () => {
    expect(parseDurationMs('10')).toBe(10_000);
    expect(parseDurationMs('1.5')).toBe(1500);
    expect(parseDurationMs('200ms')).toBe(200);
    expect(parseDurationMs('2s')).toBe(2000);
    expect(() => parseDurationMs('soon')).toThrow(ConfigError);
  });

  it('--sync-deadline: a duration from 1 ms to one hour, anything else a named error', () => {
    expect(parseSyncDeadlineMs('30')).toBe(30_000);
    expect(parseSyncDeadlineMs('500ms')).toBe(500);
    expect(parseSyncDeadlineMs('3600s')).toBe(SYNC_DEADLINE_MS_MAX);
    for (const bad of ['0', '0ms', '3601', 'soon', '-5', '']) expect(() => parseSyncDeadlineMs(bad), bad).toThrow(ConfigError);
  });

  it('default committee: 5 nodes on 10000 + 10*i', () => {
    expect(defaultCommittee(5).map((m) => m.port)).toEqual([10000, 10010, 10020, 10030, 10040]);
    expect(parsePortList('1,2,3')).toEqual([1, 2, 3]);
    expect(() => parsePortList('1,x')).toThrow(ConfigError);
  });

  it('parses kill / pause / partition schedules in time order', () => {
    const f = parseFaults({ kill: 'leader@2s:4s;3@500', pause: '1@1000:1500', partition: '0,1,2|3,4@3s:5s' }, 5);
    expect(f.map((e) => [e.kind, e.atMs])).toEqual([
      ['kill', 500],
      ['pause', 1000],
      ['kill', 2000],
      ['partition', 3000],
    ]);
    expect(f[2]).toMatchObject({ target: 'leader', restartAtMs: 4000 });
    expect(f[3]).toMatchObject({ groups: [[0, 1, 2], [3, 4]], healAtMs: 5000 });
    expect(() => parseFaults({ kill: '7@1s' }, 5)).toThrow(ConfigError);
    expect(() => parseFaults({ kill: '1@2s:1s' }, 5)).toThrow(ConfigError);
    expect(() => parseFaults({ partition: '0,1' }, 5)).toThrow(ConfigError);
  });

  it('blockedPeers cuts every link between groups', () => {
    expect(blockedPeers([[0, 1, 2], [3, 4]], 5)).toEqual([[3, 4], [3, 4], [3, 4], [0, 1, 2], [0, 1, 2]]);
    // A node in no group is cut off from everyone.
    expect(blockedPeers([[0, 1]], 3)).toEqual([[2], [2], [0, 1]]);
  });

  it('reads a per-node config file {id, n, f, port, committee} and rejects bad ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csp-paxos-config-'));
    const good = join(dir, 'node1.json');
    writeFileSync(good, JSON.stringify({ id: 1, n: 3, f: 1, port: 7010, committee: [{ id: 2, port: 7020 }, { id: 0, host: '127.0.0.1', port: 7000 }, { id: 1, port: 7010 }] }));
    const c = readConfigFile(good);
    expect(c.committee!.map((m) => [m.id, m.host, m.port])).toEqual([
      [0, '127.0.0.1', 7000],
      [1, '127.0.0.1', 7010],
      [2, '127.0.0.1', 7020],
    ]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ committee: [{ id: 'x', port: 1 }] }));
    expect(() => readConfigFile(bad)).toThrow(ConfigError);
    writeFileSync(bad, '{not json');
    expect(() => readConfigFile(bad)).toThrow(ConfigError);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, defaultCommittee, parseDurationMs, parsePortList } from '../src/server/config.js';
import { blockedPeers, parseFaults } from '../src/server/faults.js';

describe('flags and schedules', () => {
  it('-o takes seconds by default and accepts ms / s suffixes', () => {
    expect(parseDurationMs('10')).toBe(10_000);
    expect(parseDurationMs('1.5')).toBe(1500);
    expect(parseDurationMs('200ms')).toBe(200);
    expect(parseDurationMs('2s')).toBe(2000);
    expect(() => parseDurationMs('soon')).toThrow(ConfigError);
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
});

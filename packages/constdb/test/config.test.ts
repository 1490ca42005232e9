import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySettings, defaultConfig, loadConfig, parseConfigText, ConfigError } from '../src/server/config.js';
import { Aof, readAof } from '../src/storage/aof.js';
import { encodeSnapshot, decodeSnapshot, SnapshotCorruptError } from '../src/storage/snapshot.js';
import { encodeOp, decodeOp } from '../src/core/codec.js';
import { TestNode, view } from './helpers.js';
import { Db } from '../src/core/db.js';

describe('config', () => {
  it('reads the example constdb.toml, accepts id for node_id, and flags override', () => {
    const cfg = loadConfig(join(__dirname, '..', 'constdb.toml'), { port: '9100' });
    expect(cfg.nodeId).toBe(1);
    expect(cfg.port).toBe(9100);
    expect(cfg.ip).toBe('127.0.0.1');
    expect(applySettings(defaultConfig, parseConfigText('id = 42\nnode_alias = "x"')).nodeId).toBe(42);
    // the original's threads and replica_gossip_frequency are accepted (and validated)
    const orig = applySettings(defaultConfig, parseConfigText('threads = 4\nreplica_gossip_frequency = 2'));
    expect([orig.threads, orig.replicaGossipFrequencySec]).toEqual([4, 2]);
    expect(() => applySettings(defaultConfig, { threads: -1 })).toThrow(/threads must be a non-negative integer/);
  });

  it('names the bad key in one line', () => {
    expect(() => applySettings(defaultConfig, { appendfsync: 'sometimes' })).toThrow(/appendfsync must be one of always\|everysec\|no/);
    expect(() => applySettings(defaultConfig, { port: 70000 })).toThrow(ConfigError);
    expect(() => parseConfigText('port = = 3')).toThrow(/invalid config file/);
    expect(() => applySettings(defaultConfig, { peer_addrs: 'nonsense' })).toThrow(/peer_addrs/);
  });
});

describe('persistence formats', () => {
  it('snapshot round-trips every record and detects corruption of its header', () => {
    const n = new TestNode(3);
    n.run('SET', 'a', 'x');
    n.run('INCRBY', 'c', '5');
    n.run('SADD', 's', 'm1', 'm2');
    n.run('SREM', 's', 'm1');
    n.run('HSET', 'h', 'f', 'v');
    n.run('EXPIRE', 'a', '100');
    const bytes = encodeSnapshot({ nodeId: 3, ownSeq: 9n, clock: n.db.clock.current, applied: new Map([[1, 4n]]), peers: [{ id: 1, host: 'h', port: 1 }], forgotten: [7] }, n.db.keys.entries());
    const { meta, keys } = decodeSnapshot(bytes);
    expect(meta.ownSeq).toBe(9n);
    expect(meta.applied.get(1)).toBe(4n);
    expect(meta.forgotten).toEqual([7]);
    const db = new Db(3);
    for (const [k, r] of keys) db.join(k, r);
    expect(view(db, n.now)).toEqual(view(n.db, n.now));
    expect(db.tombstones()).toBe(1);
    const bad = Buffer.from(bytes);
    bad[8] = 99;
    expect(() => decodeSnapshot(bad)).toThrow(SnapshotCorruptError);
  });

  it('AOF: an EXEC unit cut by a crash mid-unit is not replayed (and cut off)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'constdb-aof-'));
    const path = join(dir, 'constdb.aof');
    const n = new TestNode(1);
    const ops: Array<[Buffer, boolean]> = [];
    n.db.emit = (k, d, more) => ops.push([encodeOp(BigInt(ops.length + 1), k, d), more]);
    n.run('SET', 'solo', '1');
    n.run('MULTI');
    n.run('SET', 'a', '1');
    n.run('SET', 'b', '2');
    n.run('EXEC');
    const aof = new Aof(path, 'always');
    for (const [op, more] of ops) aof.append(op, more);
    aof.syncNow();
    aof.close();
    const whole = readFileSync(path);
    expect(readAof(path).map((o) => [decodeOp(o.op).seq, o.more])).toEqual([[1n, false], [2n, true], [3n, false]]);
    // the crash tore the unit's last op: only the op before the unit survives
    writeFileSync(path, whole.subarray(0, whole.length - 3));
    expect(readAof(path).map((o) => decodeOp(o.op).seq)).toEqual([1n]);
    expect(readFileSync(path).length).toBe(ops[0]![0].length + 8);
  });

  it('AOF replays intact ops and cuts a torn tail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'constdb-aof-'));
    const path = join(dir, 'constdb.aof');
    const aof = new Aof(path, 'always');
    const n = new TestNode(1);
    const ops: Buffer[] = [];
    n.db.emit = (k, d) => ops.push(encodeOp(BigInt(ops.length + 1), k, d));
    n.run('SET', 'k', 'v');
    n.run('INCR', 'n');
    for (const op of ops) aof.append(op);
    aof.syncNow();
    aof.close();
    appendFileSync(path, Buffer.from([9, 0, 0, 0, 1, 2]));
    const back = readAof(path);
    expect(back.map((b) => decodeOp(b.op).seq)).toEqual([1n, 2n]);
    expect(readFileSync(path).length).toBe(ops.reduce((s, o) => s + o.length + 8, 0));
    expect(existsSync(path)).toBe(true);
    writeFileSync(path, '');
    expect(readAof(path)).toEqual([]);
  });
});

describe('RESP3 after HELLO 3', () => {
  it('answers maps, sets and nulls', () => {
    const n = new TestNode(1);
    expect(n.run('HELLO', '3')).toMatch(/^%7\r\n/);
    n.run('HSET', 'h', 'f', 'v');
    expect(n.run('HGETALL', 'h')).toBe('%1\r\n$1\r\nf\r\n$1\r\nv\r\n');
    n.run('SADD', 's', 'a');
    expect(n.run('SMEMBERS', 's')).toBe('~1\r\n$1\r\na\r\n');
    expect(n.run('GET', 'nope')).toBe('_\r\n');
    expect(n.run('HELLO', '4')).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(n.run('HELLO', '2')).toMatch(/^\*14\r\n/);
  });
});

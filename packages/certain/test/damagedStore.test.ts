// Issue 16: a replica whose WAL is damaged must notice (checksums verified on open) and not
// vote until it has re-learnt from the others; LevelDB alone skips the damaged records.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Certain, RecoveringError, type ApplyFn } from '../src/index.js';
import { LocalNet } from './localNet.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const apply: ApplyFn = (_e, _entry, value, tx) => {
  const [k, v] = dec.decode(value).split('=');
  tx.put(enc.encode(k!), enc.encode(v!));
};

const live: Certain[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.allSettled(live.splice(0).map((c) => c.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replica(net: LocalNet, dir: string, id: number, bootstrap: boolean): Promise<Certain> {
  const c = new Certain({
    acceptorId: id, acceptorNum: 3, path: dir, apply, bootstrap, transport: net.transportFor(id),
    options: { cmdTimeoutMs: 20_000, retryMsBase: 30, tickMs: 20 },
  });
  await c.start();
  live.push(c);
  return c;
}

/** Flip a byte in the middle of the largest WAL (*.log) file of a LevelDB directory. */
function damageWal(dir: string): string {
  const logs = readdirSync(dir).filter((n) => /^\d+\.log$/.test(n)).map((n) => join(dir, n));
  const wal = logs.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!wal || statSync(wal).size < 64) throw new Error(`no WAL with records in ${dir}`);
  const bytes = readFileSync(wal);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(wal, bytes);
  return wal;
}

describe('damaged stores', () => {
  it('a damaged plog WAL is detected on open: moved aside, the replica recovers before it votes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certain-damaged-'));
    dirs.push(dir);
    const net = new LocalNet();
    const rs: Certain[] = [];
    for (let i = 0; i < 3; i++) rs.push(await replica(net, dir, i, true));
    for (let k = 1n; k <= 5n; k++) await rs[0]!.write(3n, k, enc.encode(`k${k}=v${k}`));
    await rs[2]!.read(3n);
    await rs[2]!.stop();
    live.splice(live.indexOf(rs[2]!), 1);
    damageWal(join(dir, 'logdb_2'));
    // even started with bootstrap again, it must not vote on what it may have forgotten
    const r2 = await replica(net, dir, 2, true);
    expect(r2.damagedStores.length).toBeGreaterThan(0);
    expect(r2.recovering).toBe(true);
    await expect(r2.read(3n)).rejects.toBeInstanceOf(RecoveringError);
    expect(readdirSync(dir).some((n) => n.startsWith('logdb_2.damaged-'))).toBe(true);
    const deadline = Date.now() + 30_000;
    while (r2.recovering && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(r2.recovering).toBe(false);
    await r2.read(3n);
    expect(dec.decode((await r2.db.get(3n, enc.encode('k5')))!)).toBe('v5');
    // recovery may have decided an open entry (a no-op): write at the next one
    await r2.write(3n, (await r2.maxChosen(3n)) + 1n, enc.encode('k6=v6'));
    await rs[1]!.read(3n);
    expect(dec.decode((await rs[1]!.db.get(3n, enc.encode('k6')))!)).toBe('v6');
  }, 90_000);
});

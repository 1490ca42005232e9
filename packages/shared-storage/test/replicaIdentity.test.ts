// The replica identity record and the vote/recover decision, on real directories and, for the
// store-marker half, on both backends (memory-level loses its contents on every open, which is
// exactly a replaced store next to a surviving IDENTITY file).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CorruptFileError, IdentityMismatchError, StoreDamagedError, bumpIncarnation, createIdentity, identityPath,
  inspectReplicaDir, openReplica, readIdentity, writeFileAtomic, type OpenReplicaOptions,
} from '../src/index.js';
import { enc, useTempDir } from './helpers.js';

let dir = '';
useTempDir((d) => (dir = d));

const base = (extra: Partial<OpenReplicaOptions> = {}): OpenReplicaOptions => ({
  clusterId: 'c1', replicaId: 'r0', stores: ['data'], files: ['acceptor.state'], ...extra,
});

async function bootstrapReplica(memory = false): Promise<void> {
  const r = await openReplica(dir, base({ bootstrap: true, memory }));
  expect(r.decision).toBe('vote');
  const ks = r.stores.get('data')!.keyspace('acc');
  await r.stores.get('data')!.write([ks.put(enc('promise'), enc('7'))]);
  await writeFileAtomic(join(dir, 'acceptor.state'), enc('{"ballot":7}'));
  for (const s of r.stores.values()) await s.close();
}

describe('identity record', () => {
  it('is created once, read back, and bumped with a new nonce', async () => {
    const a = await createIdentity(dir, { clusterId: 'c1', replicaId: 'r0' });
    expect(a.incarnation).toBe(1n);
    expect(await readIdentity(dir)).toEqual(a);
    await expect(createIdentity(dir, { clusterId: 'c1', replicaId: 'r0' })).rejects.toBeInstanceOf(IdentityMismatchError);
    const b = await bumpIncarnation(dir, 'test');
    expect(b.incarnation).toBe(2n);
    expect(b.nonce).not.toBe(a.nonce);
    expect(b.reason).toBe('test');
  });

  it('a flipped byte anywhere in IDENTITY is CorruptFileError, never a different identity', async () => {
    await createIdentity(dir, { clusterId: 'c1', replicaId: 'r0' });
    const good = await readFile(identityPath(dir));
    for (let off = 0; off < good.length; off += 7) {
      const bad = Buffer.from(good);
      bad[off]! ^= 0x20;
      await writeFile(identityPath(dir), bad);
      await expect(readIdentity(dir), `offset ${off}`).rejects.toBeInstanceOf(CorruptFileError);
    }
  });
});

describe('inspectReplicaDir and openReplica on real directories', () => {
  it('fresh without bootstrap joins as a recovering learner; with bootstrap it votes', async () => {
    expect((await inspectReplicaDir(dir, base())).kind).toBe('fresh');
    const r = await openReplica(dir, base());
    expect(r.decision).toBe('recover');
    expect(r.message).toMatch(/RECOVERING/);
    for (const s of r.stores.values()) await s.close();
  });

  it('intact state votes, and stays intact across restarts', async () => {
    await bootstrapReplica();
    expect((await inspectReplicaDir(dir, base())).kind).toBe('intact');
    const r = await openReplica(dir, base());
    expect(r.decision).toBe('vote');
    expect(r.identity.incarnation).toBe(1n);
    for (const s of r.stores.values()) await s.close();
  });

  const damages: [string, () => Promise<void>, string][] = [
    ['the data store deleted', () => rm(join(dir, 'data'), { recursive: true }), 'missing'],
    ['CURRENT deleted', () => rm(join(dir, 'data', 'CURRENT')), 'damaged'],
    ['the state file deleted', () => rm(join(dir, 'acceptor.state')), 'missing'],
    ['a byte of the state file flipped', async () => {
      const p = join(dir, 'acceptor.state');
      const b = await readFile(p);
      b[b.length - 2]! ^= 1;
      await writeFile(p, b);
    }, 'damaged'],
    ['IDENTITY deleted next to the state', () => rm(identityPath(dir)), 'missing'],
    ['IDENTITY damaged', async () => {
      const b = await readFile(identityPath(dir));
      b[20]! ^= 1;
      await writeFile(identityPath(dir), b);
    }, 'damaged'],
  ];
  for (const [what, damage, kind] of damages) {
    it(`${what}: reported as ${kind}, the replica recovers in a new incarnation`, async () => {
      await bootstrapReplica();
      const before = (await readIdentity(dir))!;
      await damage();
      const state = await inspectReplicaDir(dir, base());
      expect(state.kind).toBe(kind);
      expect(state.problems.length).toBeGreaterThan(0);
      const r = await openReplica(dir, base());
      expect(r.decision).toBe('recover');
      // a new life: new nonce always; the counter goes up wherever the old record was readable
      expect(r.identity.nonce).not.toBe(before.nonce);
      if (!what.startsWith('IDENTITY')) expect(r.identity.incarnation).toBe(before.incarnation + 1n);
      for (const s of r.stores.values()) await s.close();
      // the next start finds a replica that is intact again (it re-learns in the new incarnation)
      const again = await inspectReplicaDir(dir, { stores: ['data'] });
      expect(again.kind).toBe('intact');
    });
  }

  it('a damaged store is moved aside, never deleted; refuse mode throws instead', async () => {
    await bootstrapReplica();
    await rm(join(dir, 'data', 'CURRENT'));
    await expect(openReplica(dir, base({ onDamaged: 'refuse' }))).rejects.toBeInstanceOf(StoreDamagedError);
    const r = await openReplica(dir, base());
    expect(r.movedAside).toHaveLength(1);
    expect(r.movedAside[0]).toMatch(/data\.damaged-\d+$/);
    for (const s of r.stores.values()) await s.close();
  });

  it('another cluster or replica id is refused', async () => {
    await bootstrapReplica();
    await expect(openReplica(dir, base({ clusterId: 'other' }))).rejects.toBeInstanceOf(IdentityMismatchError);
    await expect(openReplica(dir, base({ replicaId: 'r1' }))).rejects.toBeInstanceOf(IdentityMismatchError);
  });

  it('a store from elsewhere under a surviving IDENTITY is caught by the in-store marker', async () => {
    await bootstrapReplica();
    await rm(join(dir, 'data'), { recursive: true });
    await mkdir(join(dir, 'data'));
    // An unrelated but intact LevelDB store copied in (here: a store of another replica dir).
    const other = join(dir, '..', `${dir.split('/').pop()}-other`);
    await openReplica(other, base({ bootstrap: true })).then(async (o) => {
      for (const s of o.stores.values()) await s.close();
    });
    await rm(join(dir, 'data'), { recursive: true });
    await import('node:fs/promises').then((fs) => fs.cp(join(other, 'data'), join(dir, 'data'), { recursive: true }));
    await rm(other, { recursive: true, force: true });
    const r = await openReplica(dir, base());
    expect(r.decision).toBe('recover');
    expect(r.message).toMatch(/marker mismatch/);
    for (const s of r.stores.values()) await s.close();
  });

  it('adoptExisting stamps state written before identities existed', async () => {
    await bootstrapReplica();
    await rm(identityPath(dir));
    const r = await openReplica(dir, base({ adoptExisting: true }));
    expect(r.decision).toBe('vote');
    for (const s of r.stores.values()) await s.close();
  });
});

describe.each([{ memory: false }, { memory: true }])('store marker compliance (memory: $memory)', ({ memory }) => {
  it('the same identity reopens as voter only when its store still holds the marker', async () => {
    await bootstrapReplica(memory);
    const r = await openReplica(dir, base({ memory }));
    // memory-level keeps nothing across opens: the marker is gone, so this is a lost store
    expect(r.decision).toBe(memory ? 'recover' : 'vote');
    if (memory) expect(r.message).toMatch(/marker absent/);
    for (const s of r.stores.values()) await s.close();
  });
});

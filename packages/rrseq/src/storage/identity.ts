// The replica identity record (@quorumkit/shared-storage) kept next to the persist file, in
// `<PATH>.identity/IDENTITY`. It is written once this server becomes a member of a cluster
// (init, recovery or force-recover) and outlives the persist file: a server whose persist
// file was deleted or damaged still knows it belonged to a cluster, so it is never taken
// for a blank one (an init, which starts every sequence at 1, is then refused).
import { mkdir } from 'node:fs/promises';
import { CorruptFileError, CorruptRecordError, bumpIncarnation, createIdentity, readIdentity, type ReplicaIdentity } from '@quorumkit/shared-storage';

export function identityDir(path: string): string {
  return `${path}.identity`;
}

export interface IdentityRead {
  identity?: ReplicaIdentity;
  /** The record exists but cannot be read: this server was a member of something. */
  damaged?: string;
}

export async function loadIdentity(path: string): Promise<IdentityRead> {
  if (path === '') return {};
  try {
    const identity = await readIdentity(identityDir(path));
    return identity ? { identity } : {};
  } catch (e) {
    if (e instanceof CorruptFileError || e instanceof CorruptRecordError) return { damaged: e.message };
    throw e;
  }
}

/** Record that this replica is a member of `clusterId` (no-op when it already says so). */
export async function recordMembership(path: string, current: ReplicaIdentity | undefined, clusterId: string, replicaId: string, reason: string): Promise<ReplicaIdentity | undefined> {
  if (path === '' || clusterId === '') return current;
  if (current?.clusterId === clusterId) return current;
  if (current) return current; // never rewritten to another cluster (recovery refuses that)
  await mkdir(identityDir(path), { recursive: true });
  return createIdentity(identityDir(path), { clusterId, replicaId, reason });
}

/** A new incarnation of a known identity whose state was lost (recorded with the reason). */
export function bumpLost(path: string, reason: string, fallback?: { clusterId: string; replicaId: string }): Promise<ReplicaIdentity> {
  return bumpIncarnation(identityDir(path), reason, fallback);
}

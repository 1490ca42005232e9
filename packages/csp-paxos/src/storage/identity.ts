// The node's identity record (`<data-dir>/identity`): which replica this directory belongs to,
// its latest incarnation, and whether its acceptor state is whole (`voter`) or being re-learned
// (`recovering`). Written with writeFileAtomic (temp + fsync + rename + dir fsync) before the
// node sends anything, so a lost or replaced directory is always noticed on the next start.
import { join } from 'node:path';
import { CorruptFileError, QuorumkitError, readFileChecked, writeFileAtomicSync } from '@quorumkit/shared-storage';
import type { IdentityState } from '../core/identity.js';

export const IDENTITY_FILE = 'identity';

export interface IdentityRecord {
  v: 1;
  replica: number;
  incarnation: number;
  state: 'voter' | 'recovering';
}

export class IdentityMismatch extends QuorumkitError {
  constructor(message: string) {
    super('EIDENTITY', message);
  }
}

export async function readIdentity(dataDir: string): Promise<{ state: IdentityState; record?: IdentityRecord }> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFileChecked(join(dataDir, IDENTITY_FILE));
  } catch (e) {
    if (e instanceof CorruptFileError) return { state: 'damaged' };
    throw e;
  }
  if (!bytes) return { state: 'missing' };
  try {
    const r = JSON.parse(Buffer.from(bytes).toString('utf8')) as IdentityRecord;
    if (r.v !== 1 || !Number.isSafeInteger(r.replica) || !Number.isSafeInteger(r.incarnation) || (r.state !== 'voter' && r.state !== 'recovering')) return { state: 'damaged' };
    return { state: r.state, record: r };
  } catch (_e) {
    return { state: 'damaged' };
  }
}

export function writeIdentity(dataDir: string, r: IdentityRecord): void {
  writeFileAtomicSync(join(dataDir, IDENTITY_FILE), Buffer.from(JSON.stringify(r)));
}

/**
 * Larger than every earlier incarnation of this node: one more than the stored one, and at least
 * the wall clock in ms, which also orders starts after a lost directory (peers drop messages of
 * older incarnations).
 */
export function nextIncarnation(stored: number | undefined, nowMs: number): number {
  return Math.max((stored ?? 0) + 1, nowMs);
}

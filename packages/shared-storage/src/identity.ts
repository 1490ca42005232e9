import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileChecked, writeFileAtomic } from './atomicFile.js';
import { CorruptFileError, IdentityMismatchError, InvalidArgumentError } from './errors.js';
import { decodeJson, encodeJson } from './values.js';

// The replica identity record: who this replica is, in which cluster, and which life of it
// this is. A replica whose state was lost or repaired starts a new incarnation with a new
// random nonce, so peers can tell its new life from its old one even when a wiped directory
// restarts the counter: messages from an earlier (clusterId, replicaId, nonce) are fenced.

export const IDENTITY_FILE = 'IDENTITY';
export const IDENTITY_NAME_BYTES_MAX = 255;

export interface ReplicaIdentity {
  clusterId: string;
  replicaId: string;
  /** 1 at creation, +1 at every start that found the state missing or repaired. */
  incarnation: bigint;
  /** 16 random hex bytes, new at creation and at every bump. */
  nonce: string;
  createdAtMs: number;
  /** Why the last incarnation began ('bootstrap', 'joined empty', 'state missing: ...'). */
  reason: string;
}

export function identityPath(dir: string): string {
  return join(dir, IDENTITY_FILE);
}

function checkName(what: string, v: unknown): asserts v is string {
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > IDENTITY_NAME_BYTES_MAX) {
    throw new InvalidArgumentError(`${what} must be a non-empty string of at most ${IDENTITY_NAME_BYTES_MAX} bytes`);
  }
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** Read the identity record: undefined when absent, CorruptFileError when damaged. */
export async function readIdentity(dir: string): Promise<ReplicaIdentity | undefined> {
  const path = identityPath(dir);
  const bytes = await readFileChecked(path);
  if (bytes === undefined) return undefined;
  const v = decodeJson(bytes) as Partial<ReplicaIdentity>;
  if (
    typeof v !== 'object' || v === null || typeof v.clusterId !== 'string' || typeof v.replicaId !== 'string' ||
    typeof v.incarnation !== 'bigint' || v.incarnation < 1n || typeof v.nonce !== 'string' ||
    typeof v.createdAtMs !== 'number' || typeof v.reason !== 'string'
  ) {
    throw new CorruptFileError(path, 'not a replica identity record');
  }
  return v as ReplicaIdentity;
}

async function writeIdentity(dir: string, id: ReplicaIdentity): Promise<ReplicaIdentity> {
  await writeFileAtomic(identityPath(dir), encodeJson(id));
  return id;
}

/** Write a new identity (incarnation 1); refuses when one exists. `now` is Date.now() by default. */
export async function createIdentity(
  dir: string,
  opts: { clusterId: string; replicaId: string; reason?: string; now?: number },
): Promise<ReplicaIdentity> {
  checkName('clusterId', opts.clusterId);
  checkName('replicaId', opts.replicaId);
  const existing = await readIdentity(dir);
  if (existing) {
    throw new IdentityMismatchError(`${identityPath(dir)} already holds replica ${existing.replicaId} of cluster ${existing.clusterId}`);
  }
  return writeIdentity(dir, {
    clusterId: opts.clusterId,
    replicaId: opts.replicaId,
    incarnation: 1n,
    nonce: newNonce(),
    createdAtMs: opts.now ?? Date.now(),
    reason: opts.reason ?? 'bootstrap',
  });
}

/**
 * Start a new incarnation: incarnation + 1, a new nonce, the reason recorded. Pass `previous`
 * when the old record is unreadable (damaged), or `fallback` to rebuild one from config.
 */
export async function bumpIncarnation(
  dir: string,
  reason: string,
  fallback?: { clusterId: string; replicaId: string; incarnation?: bigint },
): Promise<ReplicaIdentity> {
  let old: ReplicaIdentity | undefined;
  try {
    old = await readIdentity(dir);
  } catch (err) {
    if (!(err instanceof CorruptFileError) || !fallback) throw err;
  }
  const base = old ?? (fallback ? { ...fallback, incarnation: fallback.incarnation ?? 0n } : undefined);
  if (!base) throw new InvalidArgumentError(`no identity in ${dir} to bump and no fallback given`);
  return writeIdentity(dir, {
    clusterId: base.clusterId,
    replicaId: base.replicaId,
    incarnation: base.incarnation + 1n,
    nonce: newNonce(),
    createdAtMs: Date.now(),
    reason,
  });
}

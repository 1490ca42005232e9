import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileChecked } from './atomicFile.js';
import { CorruptFileError, CorruptRecordError } from './errors.js';
import { IDENTITY_FILE, type ReplicaIdentity, readIdentity } from './identity.js';
import { encodeUtf8 } from './keys.js';
import { verifyLevelDbDir } from './levelVerify.js';
import type { BatchOp, Store } from './store.js';
import { decodeJson, encodeJson, openRecord, sealRecord } from './values.js';

// What a replica finds in its directory at start. Only 'intact' state may vote at once: a
// Paxos acceptor that forgot a promise or a vote can help choose a second value.

export type ReplicaStateKind = 'fresh' | 'intact' | 'missing' | 'damaged';

export interface ReplicaState {
  kind: ReplicaStateKind;
  /** The identity record, when it could be read. */
  identity?: ReplicaIdentity;
  /** One line per thing found missing or damaged (empty when fresh or intact). */
  problems: string[];
  /** Stores / files (names as given) found damaged, to be moved aside before re-learning. */
  damaged: string[];
}

export interface ReplicaLayout {
  /** LevelDB stores, as subdirectories of the replica directory ('.' = the directory itself). */
  stores?: string[];
  /** Atomic files (writeFileAtomic) that must exist once the replica has an identity. */
  files?: string[];
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Inspect a replica directory without opening (or locking) anything. */
export async function inspectReplicaDir(dir: string, layout: ReplicaLayout = {}): Promise<ReplicaState> {
  const problems: string[] = [];
  const missing: string[] = [];
  const damaged: string[] = [];
  let identity: ReplicaIdentity | undefined;
  let identityDamaged = false;
  try {
    identity = await readIdentity(dir);
  } catch (err) {
    if (!(err instanceof CorruptFileError || err instanceof CorruptRecordError)) throw err;
    identityDamaged = true;
    problems.push(`${IDENTITY_FILE} is damaged: ${err.message}`);
  }
  let anyState = false;
  for (const s of layout.stores ?? []) {
    const report = await verifyLevelDbDir(join(dir, s));
    if (report.kind === 'present') anyState = true;
    if (report.problems.length > 0) {
      damaged.push(s);
      problems.push(...report.problems);
    } else if (report.kind !== 'present') missing.push(`store ${s} ${report.kind === 'absent' ? 'is gone' : 'is empty'}`);
  }
  for (const f of layout.files ?? []) {
    try {
      const bytes = await readFileChecked(join(dir, f));
      if (bytes === undefined) missing.push(`file ${f} is gone`);
      else anyState = true;
    } catch (err) {
      if (!(err instanceof CorruptFileError)) throw err;
      anyState = true;
      damaged.push(f);
      problems.push(err.message);
    }
  }
  if (identityDamaged || damaged.length > 0) return { kind: 'damaged', identity, problems, damaged };
  if (!identity) {
    const others = (await listDir(dir)).filter((n) => !n.startsWith('.'));
    if (!anyState && others.length === 0) return { kind: 'fresh', problems: [], damaged: [] };
    problems.push(`no ${IDENTITY_FILE} next to existing state (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', ...' : ''})`);
    return { kind: 'missing', problems, damaged };
  }
  if (missing.length > 0) return { kind: 'missing', identity, problems: [...problems, ...missing], damaged };
  return { kind: 'intact', identity, problems: [], damaged: [] };
}

// A copy of the identity inside each store: an IDENTITY file that survived next to a store
// that was replaced or emptied (or a store copied in from another replica) is caught on open.
const MARKER_KEYSPACE = '__qk_replica';
const MARKER_KEY = encodeUtf8('identity');

export type StoreMarkerCheck = 'match' | 'absent' | 'mismatch' | 'damaged';

/** The op that writes this identity's marker into `store` (write it with store.write). */
export function storeMarkerOp(store: Store, id: ReplicaIdentity): BatchOp {
  const payload = encodeJson({ clusterId: id.clusterId, replicaId: id.replicaId, incarnation: id.incarnation, nonce: id.nonce });
  return store.keyspace(MARKER_KEYSPACE).put(MARKER_KEY, sealRecord(payload));
}

/** Compare the store's marker with the identity record. */
export async function checkStoreMarker(store: Store, id: ReplicaIdentity): Promise<StoreMarkerCheck> {
  const raw = await store.keyspace(MARKER_KEYSPACE).get(MARKER_KEY);
  if (raw === undefined) return 'absent';
  let m: { clusterId?: unknown; replicaId?: unknown; incarnation?: unknown; nonce?: unknown };
  try {
    m = decodeJson(openRecord(raw)) as typeof m;
  } catch {
    return 'damaged';
  }
  const same = m.clusterId === id.clusterId && m.replicaId === id.replicaId && m.incarnation === id.incarnation && m.nonce === id.nonce;
  return same ? 'match' : 'mismatch';
}

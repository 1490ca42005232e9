import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { IdentityMismatchError, InvalidArgumentError, StoreDamagedError } from './errors.js';
import { type ReplicaIdentity, bumpIncarnation, createIdentity } from './identity.js';
import { type ReplicaLayout, type ReplicaState, checkStoreMarker, inspectReplicaDir, storeMarkerOp } from './integrity.js';
import { type Store, openStore } from './store.js';

// One call a system makes at start: inspect the directory, decide whether this replica may
// vote, and open its stores. The rule: a replica that cannot prove its state is intact does
// not vote. 'recover' means: serve as a non-voting learner (health NOT_SERVING, client
// requests refused with RECOVERING) until it has re-learned from enough of the OTHER replicas
// that nothing chosen can be missed. A cluster is created by an explicit bootstrap only: a
// blank directory without `bootstrap` joins as a recovering learner, never decides it is first.

export type ReplicaDecision = 'vote' | 'recover';

export interface OpenReplicaOptions extends ReplicaLayout {
  clusterId: string;
  replicaId: string;
  /** Create the cluster: a fresh directory becomes a voter at incarnation 1. */
  bootstrap?: boolean;
  /** State without an IDENTITY file (written before identities existed): trust it and stamp it. */
  adoptExisting?: boolean;
  /** Damaged state: 'recover' (default) moves it aside and re-learns; 'refuse' throws StoreDamagedError. */
  onDamaged?: 'recover' | 'refuse';
  /** Open memory-level stores instead of the directories (tests); the IDENTITY file stays on disk. */
  memory?: boolean;
  /** Clock for the moved-aside suffix. Default Date.now. */
  now?: () => number;
}

export interface OpenedReplica {
  decision: ReplicaDecision;
  /** What was found before anything was changed. */
  state: ReplicaState;
  /** The identity now on disk (a new incarnation when decision is 'recover'). */
  identity: ReplicaIdentity;
  /** The opened stores by name (as given in `stores`); the caller closes them. */
  stores: Map<string, Store>;
  /** Paths of damaged stores/files moved aside (kept for forensics, never deleted). */
  movedAside: string[];
  /** One line for the operator's log. */
  message: string;
}

function describe(state: ReplicaState): string {
  return state.problems.length > 0 ? `${state.kind}: ${state.problems.join('; ')}` : state.kind;
}

/**
 * Inspect, decide and open. Throws IdentityMismatchError when the directory belongs to another
 * cluster or replica, StoreDamagedError when damaged and onDamaged is 'refuse'.
 */
export async function openReplica(dir: string, opts: OpenReplicaOptions): Promise<OpenedReplica> {
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('openReplica needs a directory');
  const storeNames = opts.stores ?? [];
  for (const name of storeNames) {
    if (typeof name !== 'string' || name.length === 0 || name === '.' || name.split(/[\\/]/).includes('..')) {
      throw new InvalidArgumentError(`store ${String(name)} must be a subdirectory name of the replica directory`);
    }
  }
  const now = opts.now ?? Date.now;
  await mkdir(dir, { recursive: true });
  // Memory stores have no files to inspect: their loss shows as an absent marker below.
  const state = await inspectReplicaDir(dir, { stores: opts.memory ? [] : storeNames, files: opts.files });
  const id = state.identity;
  if (id && (id.clusterId !== opts.clusterId || id.replicaId !== opts.replicaId)) {
    throw new IdentityMismatchError(
      `${dir} holds replica ${id.replicaId} of cluster ${id.clusterId}, not replica ${opts.replicaId} of cluster ${opts.clusterId}`,
    );
  }
  if (state.kind === 'damaged' && opts.onDamaged === 'refuse') throw new StoreDamagedError(dir, state.problems);

  const movedAside: string[] = [];
  for (const name of state.damaged) {
    const from = join(dir, name);
    const to = `${from}.damaged-${now()}`;
    await rename(from, to);
    movedAside.push(to);
  }

  let decision: ReplicaDecision;
  let identity: ReplicaIdentity;
  let reason: string;
  if (state.kind === 'intact' && id) {
    decision = 'vote';
    identity = id;
    reason = 'intact';
  } else if (state.kind === 'fresh' && opts.bootstrap) {
    identity = await createIdentity(dir, { clusterId: opts.clusterId, replicaId: opts.replicaId, reason: 'bootstrap' });
    decision = 'vote';
    reason = 'bootstrapped a new cluster';
  } else if (state.kind === 'missing' && !id && opts.adoptExisting) {
    identity = await createIdentity(dir, { clusterId: opts.clusterId, replicaId: opts.replicaId, reason: 'adopted existing state' });
    decision = 'vote';
    reason = 'adopted existing state';
  } else {
    reason = state.kind === 'fresh' ? 'joined with an empty directory' : `state ${describe(state)}`;
    identity = id || state.kind === 'damaged'
      ? await bumpIncarnation(dir, reason, { clusterId: opts.clusterId, replicaId: opts.replicaId })
      : await createIdentity(dir, { clusterId: opts.clusterId, replicaId: opts.replicaId, reason });
    decision = 'recover';
  }

  const stores = new Map<string, Store>();
  try {
    for (const name of storeNames) {
      const store = opts.memory ? await openStore({ memory: true }) : await openStore(join(dir, name), { verify: true });
      stores.set(name, store);
      const marker = await checkStoreMarker(store, identity);
      if (marker !== 'match' && decision === 'vote' && state.kind === 'intact') {
        // The IDENTITY file survived but this store is not the one it was stamped into.
        decision = 'recover';
        reason = `store ${name}: identity marker ${marker}`;
        identity = await bumpIncarnation(dir, reason);
        state.problems.push(reason);
        for (const s of stores.values()) if (s !== store) await s.write([storeMarkerOp(s, identity)]);
      }
      if (marker !== 'match' || decision === 'recover') await store.write([storeMarkerOp(store, identity)]);
    }
  } catch (err) {
    await Promise.allSettled([...stores.values()].map((s) => s.close()));
    throw err;
  }
  const message = decision === 'vote'
    ? `replica ${identity.replicaId} of cluster ${identity.clusterId}, incarnation ${identity.incarnation}: ${reason}; voting`
    : `replica ${identity.replicaId} of cluster ${identity.clusterId}, incarnation ${identity.incarnation}: ${reason}; RECOVERING (not voting until re-learned from the other replicas)` +
      (movedAside.length > 0 ? `; damaged state moved to ${movedAside.join(', ')}` : '');
  return { decision, state, identity, stores, movedAside, message };
}

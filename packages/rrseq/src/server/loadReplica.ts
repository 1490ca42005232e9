// What a starting server finds on disk: its persist file and its identity record, and
// from the two whether it is blank (may adopt an init) or a member that lost its state
// (must recover from peers, never be re-initialised).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { IdentityMismatchError, type ReplicaIdentity } from '@quorumkit/shared-storage';
import type { ReplicaState } from '../core/index.js';
import { bumpLost, loadIdentity } from '../storage/identity.js';
import { loadState } from '../storage/stateFile.js';

export interface LoadedReplica {
  /** The persisted replica state, if the file held a usable one. */
  state: ReplicaState | undefined;
  identity: ReplicaIdentity | undefined;
  /** No persist file, no identity record, nothing unreadable: a blank server. */
  fresh: boolean;
  /** The cluster the identity record names ('' if none). */
  knownCluster: string;
}

export async function loadReplica(path: string, log: Logger): Promise<LoadedReplica> {
  if (path !== '') await mkdir(dirname(path), { recursive: true });
  const loaded = await loadState(path);
  if (loaded.problem) log.warn({ problem: loaded.problem }, 'state file unusable: recovering from peers');
  if (loaded.tornBytes) log.warn({ bytes: loaded.tornBytes }, 'dropped an interrupted append at the end of the state file (never acknowledged)');
  const id = await loadIdentity(path);
  let identity = id.identity;
  if (id.damaged) log.warn({ problem: id.damaged }, 'identity record damaged: this server was a cluster member; recovering from peers');
  const stateCluster = loaded.state?.cluster ?? '';
  if (id.identity && stateCluster !== '' && stateCluster !== id.identity.clusterId) {
    throw new IdentityMismatchError(`${path} holds state of cluster ${stateCluster} but its identity record says cluster ${id.identity.clusterId}`);
  }
  // Fresh only with no persist file, no identity record and nothing unreadable: a blank
  // server (it may adopt an init). A lost persist file next to an identity is a lost state.
  const fresh = loaded.state === undefined && loaded.problem === undefined && id.identity === undefined && id.damaged === undefined;
  if (!loaded.state?.ready && id.identity) {
    identity = await bumpLost(path, `persist file ${loaded.problem ? 'unusable' : 'missing'}: recovering from peers`);
    log.warn({ cluster: id.identity.clusterId, incarnation: String(identity.incarnation) }, 'this server was a member of a cluster but its persist file is gone or unusable: recovering from peers (never re-initialised)');
  }
  return { state: loaded.state, identity, fresh, knownCluster: id.identity?.clusterId ?? '' };
}

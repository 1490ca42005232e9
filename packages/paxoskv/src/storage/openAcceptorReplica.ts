// Opening an acceptor's data directory with the shared disk-loss rule (issue 17 item 1): an
// IDENTITY record written at first start, every LevelDB WAL/table checksum verified, and a
// directory whose state is missing or damaged opened as RECOVERING (it re-learns from the
// other acceptors before it votes), never as an acceptor that silently forgot its promises.
import { openReplica } from '@quorumkit/shared-storage';
import { AcceptorStore, type AcceptorStoreOptions } from './acceptorStore.js';

/** The LevelDB store's subdirectory inside an acceptor's data directory. */
export const ACCEPTOR_STORE_DIR = 'db';

export interface OpenAcceptorReplicaOptions {
  clusterId: string;
  id: number;
  /** create the cluster: a fresh directory votes at once (only at the cluster's first start) */
  bootstrap?: boolean;
  /** damaged state: 'recover' (default) moves it aside and re-learns; 'refuse' fails the start */
  onDamaged?: 'recover' | 'refuse';
  store?: AcceptorStoreOptions;
}

export interface OpenedAcceptorReplica {
  store: AcceptorStore;
  /** 'vote': state proved intact (or a bootstrap); 'recover': must re-learn first */
  decision: 'vote' | 'recover';
  incarnation: bigint;
  /** one line for the operator */
  message: string;
  movedAside: string[];
}

export async function openAcceptorReplica(dir: string, opts: OpenAcceptorReplicaOptions): Promise<OpenedAcceptorReplica> {
  const r = await openReplica(dir, {
    clusterId: opts.clusterId,
    replicaId: `acceptor${opts.id}`,
    stores: [ACCEPTOR_STORE_DIR],
    bootstrap: opts.bootstrap ?? false,
    onDamaged: opts.onDamaged ?? 'recover',
  });
  let store: AcceptorStore;
  try {
    store = await AcceptorStore.wrap(r.stores.get(ACCEPTOR_STORE_DIR)!, opts.store);
    // A recovery interrupted by a crash is still a recovery, whatever the directory says now.
    if (r.decision === 'recover' && !store.recovering) await store.beginRecovery(r.identity.incarnation);
  } catch (e) {
    await Promise.allSettled([...r.stores.values()].map((s) => s.close()));
    throw e;
  }
  const decision = store.recovering ? 'recover' : 'vote';
  const message = decision === r.decision ? r.message : `${r.message}; an earlier recovery did not finish: RECOVERING`;
  return { store, decision, incarnation: r.identity.incarnation, message, movedAside: r.movedAside };
}

// Is this node's acceptor state provably intact? (issue 18 item 1). Pure: the shell (and the
// simulator) gather the facts from disk and act on the verdict. A node that cannot prove its
// state does not vote until it re-learned it (recovery.ts); a cluster is created only by an
// explicit bootstrap, never by a blank node deciding it is first.

/** What the identity record (`identity` in the data directory) says, or why there is none. */
export type IdentityState = 'missing' | 'damaged' | 'voter' | 'recovering';

export interface DiskFacts {
  identity: IdentityState;
  /** The acceptor log file exists (an empty one still proves nothing was promised). */
  acceptorLogExists: boolean;
  /** Records that survived in the acceptor log. */
  acceptorRecords: number;
  /** A bad record with good records after it: not a torn tail, a damaged log. */
  acceptorDamaged: boolean;
  /** The log holds a `recovered` marker (re-learning finished before a crash). */
  recoveredMarker: boolean;
  /** Slots this node's instance log says it committed. */
  committed: number;
  /** The operator asked to create a new cluster with this node in it. */
  bootstrap: boolean;
}

export interface Verdict {
  vote: boolean;
  /** Said in the log and in `status`, so the operator sees why a node does not vote. */
  reason: string;
}

export function judgeDisk(f: DiskFacts): Verdict {
  if (f.acceptorDamaged) return { vote: false, reason: 'acceptor log damaged (a bad record before good ones): re-learning from the others' };
  switch (f.identity) {
    case 'damaged':
      return { vote: false, reason: 'identity record damaged: re-learning from the others' };
    case 'recovering':
      if (f.recoveredMarker) return { vote: true, reason: 'intact (re-learned before the last stop)' };
      return { vote: false, reason: 'an earlier re-learning did not finish: re-learning from the others' };
    case 'voter':
      if (!f.acceptorLogExists) return { vote: false, reason: 'acceptor log missing: re-learning from the others' };
      if (f.acceptorRecords === 0 && f.committed > 0) return { vote: false, reason: `acceptor log empty but the instance log committed ${f.committed} slots: re-learning from the others` };
      return { vote: true, reason: 'intact' };
    case 'missing':
      if (f.acceptorLogExists || f.committed > 0) return { vote: false, reason: 'identity record missing where a cluster existed: re-learning from the others' };
      if (f.bootstrap) return { vote: true, reason: 'bootstrapped a new cluster' };
      return { vote: false, reason: 'empty directory and no --bootstrap: joining the cluster by re-learning from the others' };
  }
}

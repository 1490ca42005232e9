// The cluster view check (issue 17 item 2), pure. A client computes its quorum from the
// acceptor list it was given; a partial list makes a "majority" of the wrong size and two
// clients can then both get a value acknowledged at one version. So every request says
// which cluster it means and how many acceptors it counts over, and an acceptor serves it
// only when both match its own configuration.

export interface ClusterView {
  /** the cluster's name, given at serve/cluster time */
  clusterId: string;
  /** how many acceptors the cluster has */
  members: number;
}

export interface AcceptorViewConfig extends ClusterView {
  /**
   * Serve requests that carry no cluster id at all (a client generated from the seed's
   * proto cannot send one). Such a client chooses its own quorum, so allowing it keeps the
   * seed's wire contract at the cost of item 2's protection for that client.
   */
  allowUnnamedClients: boolean;
}

/** What a request says about the view; '' / 0 are what proto3 gives for absent fields. */
export interface RequestView {
  clusterId: string;
  members: number;
}

/** null when the request may be served, else the one-line reason it is refused. */
export function viewMismatch(cfg: AcceptorViewConfig, req: RequestView): string | null {
  if (req.clusterId === '') {
    if (req.members !== 0 && req.members !== cfg.members) {
      return `the client counts its quorum over ${req.members} acceptors, this cluster has ${cfg.members} acceptors`;
    }
    return cfg.allowUnnamedClients ? null : `request names no cluster; this acceptor serves only clients of cluster ${cfg.clusterId}`;
  }
  if (req.clusterId !== cfg.clusterId) return `request is for cluster ${req.clusterId}, this acceptor belongs to cluster ${cfg.clusterId}`;
  if (req.members !== cfg.members) {
    return `the client counts its quorum over ${req.members} acceptors, cluster ${cfg.clusterId} has ${cfg.members} acceptors (give the client the full --acceptors list)`;
  }
  return null;
}

/** Cluster ids: short printable names (they are logged and compared, never parsed). */
export const CLUSTER_ID_BYTES_MAX = 128;
export function clusterIdProblem(id: string): string | null {
  if (id.length === 0) return 'cluster id must not be empty';
  if (new TextEncoder().encode(id).length > CLUSTER_ID_BYTES_MAX) return `cluster id longer than ${CLUSTER_ID_BYTES_MAX} bytes`;
  if (!/^[A-Za-z0-9._:-]+$/.test(id)) return `cluster id ${JSON.stringify(id)} may hold only letters, digits and . _ : -`;
  return null;
}

export const DEFAULT_CLUSTER_ID = 'paxoskv';

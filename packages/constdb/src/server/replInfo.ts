// REPLICAS, NODE and INFO replication rows.
import type { Replicator } from './replication.js';

export function replicaRows(repl: Replicator): Array<[string, string]> {
  return [...repl.peers.values()].map((p) => [String(p.id), `${p.host}:${p.port}`]);
}

export function nodeRows(repl: Replicator): Array<[string, string]> {
  return [
    ['id', String(repl.node.cfg.nodeId)],
    ['alias', repl.node.cfg.nodeAlias],
    ['addr', `${repl.node.cfg.ip}:${repl.node.port}`],
    ['seq', String(repl.node.ownSeq)],
    ['uuid', String(repl.node.db.clock.current)],
    ['replicas', String(repl.peers.size)],
  ];
}

export function infoRows(repl: Replicator, now: number): Array<[string, string | number | bigint]> {
  const rows: Array<[string, string | number | bigint]> = [
    ['role', 'active-active'],
    ['node_id', repl.node.cfg.nodeId],
    ['own_seq', repl.node.ownSeq],
    ['connected_replicas', [...repl.peers.values()].filter((p) => p.link?.state === 'online').length],
    ['known_replicas', repl.peers.size],
    // 1 while this node is forgotten by the cluster (MEET brings it back)
    ['forgotten', repl.selfOut ? 1 : 0],
    ['forgotten_nodes', repl.members.forgotten().join(',') || '-'],
    ['membership', repl.members.format()],
    ['rejoins', repl.stats.rejoins],
    ['repl_backlog_bytes', repl.backlog.bytes],
    ['repl_backlog_limit', repl.backlog.limitBytes],
    ['repl_backlog_first_seq', repl.backlog.firstSeq],
    ['full_syncs_sent', repl.stats.fullSyncsSent],
    ['partial_syncs_sent', repl.stats.partialSyncsSent],
    ['full_syncs_received', repl.stats.fullSyncsReceived],
    ['empty_full_syncs_merged', repl.stats.emptyFullSyncsMerged],
    ['ops_applied', repl.stats.opsApplied],
    ['duplicates_dropped', repl.stats.duplicatesDropped],
    ['gaps_detected', repl.stats.gapsDetected],
    ['replicas_verified', repl.stats.candidatesVerified],
    ['replicas_refused_unverified', repl.stats.candidatesRefused],
    // crashes that may have lost own ops already sent (seqs skipped on restart, announced)
    ['own_lost_ranges', repl.node.seqs.lost.length],
    // times we held ops a restarted origin lost, and replicas still owed our state for it
    ['lost_ops_held', repl.stats.lostOpsHeld],
    ['owed_full_syncs', [...repl.peers.values()].filter((p) => p.owed > 0).length],
    ...repl.ae.infoRows(now),
  ];
  let i = 0;
  for (const p of repl.peers.values()) {
    rows.push([`replica${i++}`, `id=${p.id},addr=${p.host}:${p.port},state=${p.link?.state ?? 'down'},acked_seq=${p.ackedSeq},lag_ops=${repl.node.ownSeq - p.ackedSeq},last_ack_ms=${p.lastAckMs ? now - p.lastAckMs : -1},applied_from_it=${repl.applied.get(p.id) ?? 0n},full_syncs=${p.fullSyncs},partial_syncs=${p.partialSyncs},owed=${p.owed > 0 ? 1 : 0}`]);
  }
  return rows;
}

// Prometheus metrics of one node (issue 23), served on --metrics-addr (off by default). Most
// values are read from the node's own counters at scrape time (collect), so the hot path
// only keeps the counters it already kept for INFO; the AOF fsync latency is a histogram fed
// by every fdatasync. Names and units follow Prometheus conventions (`_total` counters,
// `_seconds`), checked by `promtool check metrics` in test/metrics.test.ts.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SECONDS_BUCKETS, collectProcessMetrics, serveMetrics, type MetricsServer } from '@quorumkit/shared-transport';
import type { ConstdbNode } from './node.js';
import type { LinkState } from './replLink.js';

const LINK_STATES: readonly LinkState[] = ['connecting', 'syncing', 'online', 'down', 'closed'];

/** A counter whose value is read from the node when scraped. */
function counterOf(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name, help, registers: [registry],
    collect() {
      this.reset();
      const v = read();
      if (v > 0) this.inc(v);
    },
  });
}

function gaugeOf(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly fsyncSeconds: Histogram;

  constructor(node: ConstdbNode) {
    const r = this.registry;
    r.setDefaultLabels({ node: String(node.cfg.nodeId) });
    collectProcessMetrics(r);
    const st = node.stats;
    const repl = node.repl;
    counterOf(r, 'constdb_commands_processed_total', 'commands executed', () => st.commandsProcessed);
    counterOf(r, 'constdb_connections_received_total', 'connections accepted on the port (clients and inbound replication)', () => st.connectionsReceived);
    counterOf(r, 'constdb_rejected_connections_total', 'connections refused at maxclients', () => st.rejectedConnections);
    counterOf(r, 'constdb_protocol_errors_total', 'connections closed for malformed RESP or a limit', () => st.protocolErrors);
    counterOf(r, 'constdb_tls_handshakes_refused_total', 'TLS handshakes refused (no certificate, another CA, plaintext)', () => node.tlsRefused);
    counterOf(r, 'constdb_expired_keys_total', 'keys deleted by expiry on this node', () => node.db.stats.expiredKeys);
    counterOf(r, 'constdb_tombstones_collected_total', 'tombstones garbage-collected once stable', () => node.db.stats.tombstonesCollected);
    counterOf(r, 'constdb_snapshots_total', 'snapshots written', () => st.snapshots);
    counterOf(r, 'constdb_repl_ops_applied_total', 'ops of other nodes applied', () => repl.stats.opsApplied);
    counterOf(r, 'constdb_repl_duplicates_dropped_total', 'replicated ops dropped as duplicates', () => repl.stats.duplicatesDropped);
    counterOf(r, 'constdb_repl_gaps_detected_total', 'replication streams closed on a gap', () => repl.stats.gapsDetected);
    counterOf(r, 'constdb_repl_full_syncs_sent_total', 'full syncs sent to replicas', () => repl.stats.fullSyncsSent);
    counterOf(r, 'constdb_repl_partial_syncs_sent_total', 'partial resyncs (from the backlog) sent to replicas', () => repl.stats.partialSyncsSent);
    counterOf(r, 'constdb_repl_full_syncs_received_total', 'full syncs received', () => repl.stats.fullSyncsReceived);
    gaugeOf(r, 'constdb_connected_clients', 'open client connections', () => node.conns.size);
    gaugeOf(r, 'constdb_blocked_clients', 'clients waiting in a blocking pop', () => node.blocking.blockedClients);
    gaugeOf(r, 'constdb_keys', 'keys held (tombstoned ones included until collected)', () => node.db.keys.size);
    gaugeOf(r, 'constdb_own_seq', 'seq of the last own op', () => Number(node.ownSeq));
    gaugeOf(r, 'constdb_changes_since_snapshot', 'own and replicated changes not yet in a snapshot', () => st.changesSinceSnapshot);
    gaugeOf(r, 'constdb_last_snapshot_timestamp_seconds', 'when the last snapshot was written (0: none yet)', () => st.lastSnapshotMs / 1000);
    gaugeOf(r, 'constdb_aof_bytes', 'bytes in the current AOF file', () => node.aof?.bytes ?? 0);
    gaugeOf(r, 'constdb_repl_peers', 'replicas this node knows', () => repl.peers.size);

    const peerLabels = ['peer'] as const;
    new Gauge({
      name: 'constdb_repl_link_up', help: '1 while the outbound replication link to the peer is online', labelNames: peerLabels, registers: [r],
      collect() {
        this.reset();
        for (const p of repl.peers.values()) this.set({ peer: String(p.id) }, p.link?.state === 'online' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'constdb_repl_link_state', help: 'state of the outbound replication link (1 for the current state)', labelNames: ['peer', 'state'], registers: [r],
      collect() {
        this.reset();
        for (const p of repl.peers.values()) {
          for (const s of LINK_STATES) this.set({ peer: String(p.id), state: s }, (p.link?.state ?? 'closed') === s ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'constdb_repl_inbound_up', help: '1 while the peer streams its ops to this node', labelNames: peerLabels, registers: [r],
      collect() {
        this.reset();
        for (const p of repl.peers.values()) this.set({ peer: String(p.id) }, p.inbound && !p.inbound.destroyed ? 1 : 0);
      },
    });
    new Gauge({
      name: 'constdb_repl_lag_ops', help: 'own ops the peer has not acknowledged yet', labelNames: peerLabels, registers: [r],
      collect() {
        this.reset();
        for (const p of repl.peers.values()) this.set({ peer: String(p.id) }, Math.max(0, Number(node.ownSeq - p.ackedSeq)));
      },
    });
    new Gauge({
      name: 'constdb_repl_last_ack_age_seconds', help: 'seconds since the peer last acknowledged (-1: never)', labelNames: peerLabels, registers: [r],
      collect() {
        this.reset();
        const now = Date.now();
        for (const p of repl.peers.values()) this.set({ peer: String(p.id) }, p.lastAckMs > 0 ? (now - p.lastAckMs) / 1000 : -1);
      },
    });
    this.fsyncSeconds = new Histogram({
      name: 'constdb_aof_fsync_duration_seconds', help: 'fdatasync of the AOF (appendonly yes), per call', buckets: [...SECONDS_BUCKETS], registers: [r],
    });
  }

  /** Feeds the fsync histogram from the node's AOF (after load(), which opens it). */
  attach(node: ConstdbNode): void {
    if (node.aof) node.aof.onFsync = (s) => this.fsyncSeconds.observe(s);
  }

  serve(address: string): Promise<MetricsServer> {
    return serveMetrics(address, this.registry);
  }
}

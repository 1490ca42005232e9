// Prometheus metrics of a card server (prom-client). The registry is served by
// shared-transport's serveMetrics and carries its process metrics, so this scrape looks like
// the other four systems' and passes `promtool check metrics` (latencies in seconds).
import { SECONDS_BUCKETS, collectProcessMetrics } from '@quorumkit/shared-transport';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Certain } from '../engine/certain.js';
import type { CardService } from './cardService.js';
import type { InflightGate } from './inflightGate.js';

export function cardMetrics(certain: Certain, service: CardService, gate?: InflightGate): Registry {
  const registry = new Registry();
  collectProcessMetrics(registry);
  const fromEngine = (name: string, help: string, read: () => number) =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  fromEngine('certain_chosen_entries_total', 'entries learnt chosen', () => certain.metrics.chosen);
  fromEngine('certain_catchup_requests_total', 'catch-up requests sent', () => certain.metrics.catchUpsSent);
  fromEngine('certain_getall_total', 'GetAll copies started', () => certain.metrics.getAlls);
  fromEngine('certain_plog_fsync_batches_total', 'synced plog batches', () => certain.metrics.fsyncBatches);
  fromEngine('certain_peer_messages_sent_total', 'protocol messages sent to peers', () => certain.metrics.peerMessagesSent);
  new Counter({
    name: 'certain_peer_messages_by_kind_total', help: 'protocol messages sent to peers by kind (paxos, chosen, probe, catchUpReq, ...)', labelNames: ['kind'], registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(certain.metrics.peerMessagesByKind)) this.inc({ kind }, n);
    },
  });
  fromEngine('certain_peer_bytes_sent_total', 'encoded protocol message bytes sent to peers', () => certain.peerBytesSent);
  fromEngine('certain_plog_syncs_total', 'fsyncs of the plog', () => certain.plog.syncCount);
  fromEngine('certain_db_syncs_total', 'fsyncs of the data store', () => certain.db.syncCount ?? 0);
  fromEngine('certain_plog_expired_total', 'plog records deleted by expiry', () => certain.metrics.expired);
  fromEngine('card_batches_total', 'card request batches (one Paxos write or read each)', () => service.stats.batches);
  fromEngine('card_ops_total', 'card operations', () => service.stats.ops);
  fromEngine('card_batch_retries_total', 'batches re-evaluated after losing an entry', () => service.stats.retries);
  fromEngine('card_shed_total', 'card requests refused with RESOURCE_EXHAUSTED (in-flight caps and admitOpsMax)', () =>
    service.stats.shed + (gate ? gate.stats.refusedServer + gate.stats.refusedPeer : 0));
  if (gate) new Gauge({ name: 'card_inflight', help: 'card requests in flight (handler entered, not answered)', registers: [registry], collect() { this.set(gate.inFlight); } });
  new Gauge({ name: 'certain_entities', help: 'entities loaded', registers: [registry], collect() { this.set(certain.loadedEntities); } });
  const buckets = [...SECONDS_BUCKETS];
  const fsync = new Histogram({ name: 'certain_plog_fsync_seconds', help: 'synced plog batch latency (seconds)', buckets, registers: [registry] });
  const commit = new Histogram({ name: 'certain_commit_seconds', help: 'write latency, call to chosen (seconds)', buckets, registers: [registry] });
  // the engine's hooks report milliseconds (performance.now); Prometheus wants base units
  certain.hooks.plogWriteMs = (ms) => fsync.observe(ms / 1000);
  certain.hooks.commitMs = (ms) => commit.observe(ms / 1000);
  return registry;
}

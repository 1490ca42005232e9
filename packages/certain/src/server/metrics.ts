// Prometheus metrics of a card server (prom-client), served on /metrics when asked for.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Certain } from '../engine/certain.js';
import type { CardService } from './cardService.js';
import type { InflightGate } from './inflightGate.js';

export function cardMetrics(certain: Certain, service: CardService, gate?: InflightGate): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
  const buckets = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
  const fsync = new Histogram({ name: 'certain_plog_fsync_ms', help: 'synced plog batch latency (ms)', buckets, registers: [registry] });
  const commit = new Histogram({ name: 'certain_commit_ms', help: 'write latency, call to chosen (ms)', buckets, registers: [registry] });
  certain.hooks.plogWriteMs = (ms) => fsync.observe(ms);
  certain.hooks.commitMs = (ms) => commit.observe(ms);
  return registry;
}

export function serveMetrics(registry: Registry, address: string): Promise<Server> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

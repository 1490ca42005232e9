// Prometheus metrics of one acceptor (issue 17 item 9), served on --metrics-addr. Each acceptor
// has its own registry (several acceptors may share a process in `paxoskv cluster` and tests).
import { SECONDS_BUCKETS, collectProcessMetrics } from '@quorumkit/shared-transport';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AcceptorStore } from '../storage/acceptorStore.js';

export class AcceptorMetrics {
  readonly registry = new Registry();
  readonly ops: Counter<'kind'>;
  readonly refused: Counter<'method' | 'code'>;
  readonly batchOps: Histogram;
  /** write+fsync time of each synced storage batch */
  readonly fsync: Histogram;

  constructor(id: number, store: () => AcceptorStore) {
    this.registry.setDefaultLabels({ acceptor: String(id) });
    collectProcessMetrics(this.registry);
    const registers = [this.registry];
    this.ops = new Counter({ name: 'paxoskv_ops_total', help: 'Operations served, by kind (PREPARE/ACCEPT/COMMIT/LEARN/LATEST)', labelNames: ['kind'], registers });
    this.refused = new Counter({ name: 'paxoskv_refused_total', help: 'Requests refused, by method and error code', labelNames: ['method', 'code'], registers });
    this.batchOps = new Histogram({ name: 'paxoskv_batch_ops', help: 'Ops per Batch call', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096], registers });
    this.fsync = new Histogram({ name: 'paxoskv_fsync_seconds', help: 'Write+fsync time of each synced storage batch (one batch covers every op that arrived meanwhile)', buckets: [...SECONDS_BUCKETS], registers });
    new Gauge({ name: 'paxoskv_fsyncs', help: 'Synced storage batches since start', registers, collect() { this.set(store().syncCount); } });
    new Gauge({ name: 'paxoskv_recovering', help: '1 while the acceptor re-learns its state and does not vote', registers, collect() { this.set(store().recovering ? 1 : 0); } });
    new Gauge({ name: 'paxoskv_incarnation', help: 'This acceptor incarnation (0: never recovered)', registers, collect() { this.set(Number(store().incarnation.incarnation)); } });
  }
}

export { serveMetrics } from '@quorumkit/shared-transport';

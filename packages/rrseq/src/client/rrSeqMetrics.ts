// RRSeq's Prometheus counters (split from rrSeq.ts). The RRSeqs of one registry share one
// set of families; rrseq_client_ids_total reads each live RRSeq's count at scrape time, so
// next() (the hot path) only bumps a plain field.
import { Counter, type Registry } from 'prom-client';

/** What the ids counter reads from an RRSeq (structural: no import of rrSeq.ts, no cycle). */
export interface MeteredSeq {
  readonly name: string;
  takeServedDelta(): number;
}

export interface ClientCounters {
  ranges: Counter;
  failures: Counter;
  regressions: Counter;
}

const liveByRegistry = new WeakMap<Registry, Set<MeteredSeq>>();

/** Registers `seq` on `registry` (creating the families once) and returns its counters and live set. */
export function clientMetrics(registry: Registry, seq: MeteredSeq): { live: Set<MeteredSeq>; counters: ClientCounters } {
  const counter = (name: string, help: string): Counter =>
    (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames: ['sequence'], registers: [registry] });
  let live = liveByRegistry.get(registry);
  if (!live) {
    const seqs = new Set<MeteredSeq>();
    live = seqs;
    liveByRegistry.set(registry, seqs);
    new Counter({
      name: 'rrseq_client_ids_total',
      help: 'IDs handed out by RRSeq.next()',
      labelNames: ['sequence'],
      registers: [registry],
      collect() {
        for (const q of seqs) this.inc({ sequence: q.name }, q.takeServedDelta());
      },
    });
  }
  live.add(seq);
  return {
    live,
    counters: {
      ranges: counter('rrseq_client_ranges_total', 'Ranges fetched by RRSeq'),
      failures: counter('rrseq_client_fetch_failures_total', 'Failed range fetches (retried)'),
      regressions: counter('rrseq_client_range_regressions_total', 'Ranges granted below IDs this client already held (IDs issued twice by the cluster)'),
    },
  };
}

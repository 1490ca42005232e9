// Prometheus metrics of one server (prom-client), read from the engine's counters at scrape time.
import { Counter, Gauge, Registry } from 'prom-client';
import type { Engine } from '../core/index.js';
import type { StateFile } from '../storage/stateFile.js';

function counterFrom(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v > last) this.inc(v - last);
      last = v;
    },
  });
}

export function serverMetrics(engine: () => Engine, file: () => StateFile, served: () => { ranges: number; ids: bigint; streamed: number }): Registry {
  const r = new Registry();
  counterFrom(r, 'rrseq_ranges_served_total', 'Ranges handed out by GRPCNextID on this server', () => served().ranges);
  counterFrom(r, 'rrseq_ranges_streamed_total', 'Of those, ranges handed out over a GRPCLease stream', () => served().streamed);
  counterFrom(r, 'rrseq_ids_served_total', 'IDs in the ranges handed out by this server', () => Number(served().ids));
  counterFrom(r, 'rrseq_allocation_attempts_total', 'Read/write quorum attempts', () => engine().coordinator.stats.attempts);
  counterFrom(r, 'rrseq_allocation_retries_total', 'Attempts that retried a failed one', () => engine().coordinator.stats.retries);
  counterFrom(r, 'rrseq_quorum_failures_total', 'Attempts that did not reach a majority', () => engine().coordinator.stats.quorumFailures);
  counterFrom(r, 'rrseq_read_repairs_total', 'Stale replicas raised after an allocation', () => engine().coordinator.stats.repairs);
  counterFrom(r, 'rrseq_state_writes_total', 'Durable state file writes (one covers many ops)', () => file().syncCount);
  counterFrom(r, 'rrseq_state_compactions_total', 'State file rewrites (log compaction, first write after start)', () => file().compactions);
  counterFrom(r, 'rrseq_state_write_failures_total', 'State file writes that failed', () => file().failures);
  new Gauge({
    name: 'rrseq_ready',
    help: '1 when this replica holds a valid state, 0 while it recovers from peers',
    registers: [r],
    collect() {
      this.set(engine().ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'rrseq_sequences',
    help: 'Named sequences stored on this replica',
    registers: [r],
    collect() {
      this.set(engine().replica.names());
    },
  });
  return r;
}

// Prometheus metrics of one server (prom-client), read from the engine's counters at scrape
// time; only the fsync latency histogram is fed as writes happen (StateFile's onFsync).
import { SECONDS_BUCKETS } from '@quorumkit/shared-transport';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../core/index.js';
import type { StateFile } from '../storage/stateFile.js';
import type { PeerClient } from './peerClient.js';

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

/** A counter per peer label, read from the links at scrape time. */
function peerCounterFrom(registry: Registry, name: string, help: string, peers: () => readonly PeerClient[], read: (p: PeerClient) => number): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      for (const p of peers()) {
        const v = read(p);
        const was = last.get(p.address) ?? 0;
        // inc(0) still creates the series, so a link that never failed shows 0, not nothing
        this.inc({ peer: p.address }, Math.max(0, v - was));
        last.set(p.address, v);
      }
    },
  });
}

export interface ServerMetrics {
  registry: Registry;
  /** Feed of StateFile's onFsync: seconds per durable write of the persist log. */
  observeFsync(kind: 'append' | 'snapshot', seconds: number): void;
}

export function serverMetrics(
  engine: () => Engine,
  file: () => StateFile,
  served: () => { ranges: number; ids: bigint; streamed: number },
  peers: () => readonly PeerClient[],
): ServerMetrics {
  const r = new Registry();
  const fsync = new Histogram({
    name: 'rrseq_persist_fsync_seconds',
    help: 'Durable writes of the persist log: kind="append" is one O_DSYNC record write, kind="snapshot" a compaction\'s file and directory fsync',
    labelNames: ['kind'],
    buckets: [...SECONDS_BUCKETS],
    registers: [r],
  });
  // Both series exist from the start (count 0), so a scrape before the first write is complete.
  fsync.zero({ kind: 'append' });
  fsync.zero({ kind: 'snapshot' });
  new Gauge({
    name: 'rrseq_peer_up',
    help: '1 when the last batch or call to this peer was answered, 0 when it failed or none was made yet',
    labelNames: ['peer'],
    registers: [r],
    collect() {
      for (const p of peers()) this.set({ peer: p.address }, p.lastOk === true ? 1 : 0);
    },
  });
  peerCounterFrom(r, 'rrseq_peer_calls_total', 'Batches and calls sent to this peer', peers, (p) => p.calls);
  peerCounterFrom(r, 'rrseq_peer_call_failures_total', 'Batches and calls to this peer that failed or passed their deadline', peers, (p) => p.callsFailed);
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
  return { registry: r, observeFsync: (kind, seconds) => fsync.observe({ kind }, seconds) };
}

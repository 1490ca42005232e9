// Closed-loop load: `workers` loops call `op(worker)` until the time is up; latency in an HDR histogram.
import * as hdr from 'hdr-histogram-js';

export interface Figures {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Calls that completed, warm-up included (the denominator of per-update resource counts). */
  calls: number;
  /** Failed calls by error message (digits folded to #), so a bench row says why it failed. */
  errorKinds: Record<string, number>;
}

export async function closedLoop(workers: number, durationMs: number, op: (w: number) => Promise<void>, warmupMs = 500): Promise<Figures> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let ops = 0;
  let errors = 0;
  let calls = 0;
  const errorKinds: Record<string, number> = {};
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await op(w);
          calls++;
          if (t0 >= measureFrom) {
            ops++;
            h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          }
        } catch (err) {
          // only calls started in the measured window count, as for ops
          if (t0 < measureFrom) continue;
          errors++;
          const kind = (err instanceof Error ? err.message : String(err)).replace(/\d+/g, '#').slice(0, 120);
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        }
      }
    }),
  );
  const secs = durationMs / 1000;
  return { ops, opsPerSec: Math.round(ops / secs), p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, errors, calls, errorKinds };
}

// Closed-loop load: `workers` loops call `op(worker)` until the time is up; latency in an HDR histogram.
import * as hdr from 'hdr-histogram-js';

export interface Figures {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export async function closedLoop(workers: number, durationMs: number, op: (w: number) => Promise<void>, warmupMs = 500): Promise<Figures> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let ops = 0;
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await op(w);
          if (t0 >= measureFrom) {
            ops++;
            h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          }
        } catch {
          errors++;
        }
      }
    }),
  );
  const secs = durationMs / 1000;
  return { ops, opsPerSec: Math.round(ops / secs), p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, errors };
}

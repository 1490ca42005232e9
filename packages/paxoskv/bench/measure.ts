// A closed-loop load generator: `clients` workers, each issuing its next operation as
// soon as the previous one returns, for `seconds`; latencies in ms.
export interface Row {
  system: string;
  workload: string;
  clients: number;
  ops: number;
  ops_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export async function closedLoop(
  system: string,
  workload: string,
  clients: number,
  seconds: number,
  op: (client: number, i: number) => Promise<unknown>,
): Promise<Row> {
  const lat: number[] = [];
  let errors = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < stopAt; i++) {
        const t0 = performance.now();
        try {
          await op(c, i);
          lat.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (q: number): number => +(lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0).toFixed(2);
  return { system, workload, clients, ops: lat.length, ops_per_s: Math.round(lat.length / elapsed), p50_ms: pct(0.5), p99_ms: pct(0.99), errors };
}

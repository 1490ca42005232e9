import { SimFailure } from '../errors.js';
import { recordTortureStat } from '../tortureStats.js';

export interface RunSeedsOptions {
  /** Seeds to run when neither SEED nor SIM_SEEDS is set. Default 200. */
  seeds?: number;
  /** First seed (seeds are base, base+1, ...). Default 1, or SIM_SEED_BASE. */
  baseSeed?: number;
  /** Trace lines printed for a failing seed. Default 60, or SIM_TRACE_LINES. */
  traceLines?: number;
  /** Where the failure report goes. Default console.error. */
  print?(text: string): void;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got "${raw}"`);
  return v;
}

/**
 * Runs `run(seed)` for many seeds. `SEED=<n>` runs only that seed (to replay a failure);
 * `SIM_SEEDS=<n>` changes how many run. The first failure prints
 * `simulation <name> failed with SEED=<n>` and the trace tail, then is rethrown.
 */
export function runSeeds(name: string, run: (seed: number) => void, opts: RunSeedsOptions = {}): { runs: number; seeds: number[] } {
  const only = envInt('SEED');
  const count = envInt('SIM_SEEDS') ?? opts.seeds ?? 200;
  const base = envInt('SIM_SEED_BASE') ?? opts.baseSeed ?? 1;
  const traceLines = envInt('SIM_TRACE_LINES') ?? opts.traceLines ?? 60;
  const print = opts.print ?? ((t: string) => console.error(t));
  const seeds = only !== undefined ? [only] : Array.from({ length: count }, (_, i) => base + i);
  for (const seed of seeds) {
    try {
      run(seed);
    } catch (err) {
      const lines = [`simulation ${name} failed with SEED=${seed}`];
      if (err instanceof SimFailure) {
        lines.push(`  at t=${err.timeMs}ms: ${err.cause instanceof Error ? err.cause.message : String(err.cause)}`);
        lines.push(`  last ${Math.min(traceLines, err.traceTail.length)} trace lines:`);
        for (const l of err.traceTail.slice(-traceLines)) lines.push(`    ${l}`);
      } else {
        lines.push(`  ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      lines.push(`  replay: SEED=${seed} npx vitest run <this test file>`);
      print(lines.join('\n'));
      recordTortureStat({ kind: 'sim', name, seeds: seeds.indexOf(seed) + 1, violations: 1 });
      if (err instanceof Error) {
        err.message = `simulation ${name} failed with SEED=${seed}: ${err.message}`;
        throw err;
      }
      throw new Error(`simulation ${name} failed with SEED=${seed}: ${String(err)}`);
    }
  }
  recordTortureStat({ kind: 'sim', name, seeds: seeds.length, violations: 0 });
  return { runs: seeds.length, seeds };
}

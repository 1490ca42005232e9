// Types for readme-figures.mjs (e2e/test/bench-report.e2e.test.ts imports it).
import type { BenchSet } from './lib/figures-md.mjs';
export class MarkerError extends Error { code: 'BENCH_MARKERS' }
export function replaceBetweenMarkers(text: string, key: string, block: string, file?: string): string | undefined;
export function planReadmes(root: string, set: BenchSet): { file: string; key: string; rel: string; status: 'changed' | 'same' | 'no markers' | 'no result'; text: string }[];

// Types for figures-md.mjs.
import type { Headline } from './headlines.mjs';
export interface BenchSet { results: { project: string; data: Record<string, unknown> }[]; machine?: Record<string, any>; history?: Record<string, any>[] }
export const PROJECTS: string[];
export function loadBenchSet(dir: string): BenchSet;
export function measuredAt(data: unknown): string;
export function headlineMarkdown(rows: Headline[]): string;
export function detailMarkdown(data: unknown): string;
export function figureBlock(key: string, set: BenchSet): string | undefined;
export function staleResults(set: BenchSet): string[];

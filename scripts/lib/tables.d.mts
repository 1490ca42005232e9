// Types for tables.mjs.
import type { ReportTable } from './report.mjs';
export function fmt(v: unknown): string;
export function tablesOf(data: unknown, title?: string): ReportTable[];
export function metaOf(data: unknown): [string, unknown][];
export function leafPaths(data: unknown, path?: string[]): [string, unknown][];
export function coveredLeaves(data: unknown): Set<string>;

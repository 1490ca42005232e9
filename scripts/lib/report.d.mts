// Types for report.mjs (the root scripts are plain ESM; e2e tests import this one).
export interface ReportTable { title: string; headers: string[]; rows: string[][]; raw: Record<string, unknown>[] }
export function tablesOf(data: unknown, title?: string): ReportTable[];
export function renderReport(
  results: { project: string; data: Record<string, unknown> }[],
  status: { project: string; code: number; seconds: number }[],
): string;

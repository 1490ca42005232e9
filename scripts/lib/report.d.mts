// Types for report.mjs (the root scripts are plain ESM; e2e tests import this one).
export interface ReportTable { title: string; headers: string[]; rows: string[][]; raw: Record<string, unknown>[]; kind: 'rows' | 'fields'; path: (string | number)[] }
export function tablesOf(data: unknown, title?: string): ReportTable[];
export function renderReport(
  results: { project: string; data: Record<string, unknown> }[],
  status: { project: string; code: number; seconds: number }[],
  opts?: { machine?: Record<string, any>; history?: Record<string, any>[]; generatedAt?: string; otherFiles?: string[] },
): string;
export function otherJsonFiles(dir: string, results: { project: string }[]): string[];

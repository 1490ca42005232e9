// Types for headlines.mjs.
export interface Headline {
  system: string; workload: string; unit: string;
  ours: number | null; oursText: string; anchorName: string; anchor: number | null; anchorText: string;
  ratio: number | null; ratioText: string; range: boolean; better: 'higher' | 'lower';
  goal: { on: 'ratio' | 'ours'; op: '>=' | '<=' | '<'; value: number } | null; goalText: string; pass: boolean | null; note: string;
}
export const HEADLINE_SYSTEMS: string[];
export function num(v: unknown, digits?: number): string;
export function headlineRows(results: { project: string; data: unknown }[]): Headline[];
export function verdictText(r: Pick<Headline, 'pass' | 'goal'>): string;

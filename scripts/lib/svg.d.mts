// Types for svg.mjs.
export function esc(s: unknown): string;
export function barChart(label: string, names: string[], values: (number | null)[]): string;
export function goalChart(bars: { name: string; value: number | null; kind: 'ours' | 'anchor' }[], goal: number | null, goalLabel: string, pass: boolean | null): string;
export function sparkline(values: (number | null)[]): string;

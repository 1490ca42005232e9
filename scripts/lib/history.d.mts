// Types for history.mjs.
export const HISTORY_CAP: number;
export function readHistory(dir: string): Record<string, any>[];
export function appendHistory(dir: string, run: Record<string, unknown>, cap?: number): Record<string, any>[];
export function historyEntry(date: string, machine: Record<string, any> | undefined, headlines: unknown[], status: { project: string; code: number; seconds: number }[]): Record<string, unknown>;
export interface RunWindow { start: number; end: number | null }
export function runWindow(machine: Record<string, any> | undefined, history?: Record<string, any>[]): RunWindow | null;
export function placeInRun(date: string | undefined, window: RunWindow | null): 'this run' | 'earlier run' | 'after this run' | 'undated' | 'no run recorded';

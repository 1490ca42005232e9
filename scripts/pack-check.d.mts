// Types for pack-check.mjs (the root scripts are plain ESM; e2e/test/pack.e2e.test.ts imports it).
export const repoRoot: string;
export const PACKAGES: string[];
export const SYSTEMS: string[];
export interface Packed { name: string; short: string; version: string; tarball: string; files: string[]; unpacked?: string }
export function readPackageJson(dir: string): Record<string, any>;
export function packAll(destDir: string, opts?: { packages?: string[]; ignoreScripts?: boolean }): Packed[];
export function unpack(tarball: string, dir: string): string;
export function bareImports(source: string): string[];
export function checkTarball(pkgDir: string, sourceDir: string, siblings: Map<string, string>): string[];
export function packAndCheck(dir: string, opts?: { packages?: string[]; ignoreScripts?: boolean }): { packed: Packed[]; problems: string[]; dir: string };

// Shared vitest settings: tests import sibling packages from source, so a change in
// shared-storage is seen by paxoskv's tests without a rebuild.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const pkgs = ['shared-transport', 'shared-storage', 'test-harness', 'certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];

export const quorumkitAliases = Object.fromEntries(
  pkgs.map((p) => [`@quorumkit/${p}`, `${root}packages/${p}/src/index.ts`]),
);

export function packageTestConfig(overrides: { testTimeoutMs?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { alias: quorumkitAliases },
    test: {
      include: overrides.include ?? ['test/**/*.test.ts'],
      // a private TMPDIR per run, removed at the end with anything a test left in it
      globalSetup: [`${root}scripts/test-tmpdir.ts`],
      testTimeout: overrides.testTimeoutMs ?? 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      maxWorkers: 2,
    },
  });
}

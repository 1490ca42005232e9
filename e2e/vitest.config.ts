import { defineConfig } from 'vitest/config';
import { quorumkitAliases } from '../vitest.shared';

// e2e files start real clusters: run them one file at a time, with generous timeouts
// for a loaded 2-core machine (harness.md).
export default defineConfig({
  resolve: { alias: { '@quorumkit/test-harness': quorumkitAliases['@quorumkit/test-harness']! } },
  test: {
    include: ['test/**/*.e2e.test.ts'],
    setupFiles: ['test/setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

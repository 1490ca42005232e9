import { defineConfig } from 'tsup';

export default defineConfig({
  // named entries keep dist/index.js, dist/cli/paxoskv.js and dist/bench/index.js at fixed paths
  entry: { index: 'src/index.ts', 'cli/paxoskv': 'src/cli/paxoskv.ts', 'bench/index': 'bench/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { paths: {}, noEmit: false } },
  sourcemap: true,
  clean: true,
  external: [/^@quorumkit\//],
});

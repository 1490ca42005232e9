import { defineConfig } from 'tsup';

export default defineConfig({
  // Named entries so the library stays at dist/index.js and the bench lands at dist/bench/index.js.
  entry: { index: 'src/index.ts', 'bench/index': 'bench/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { paths: {}, noEmit: false } },
  sourcemap: true,
  clean: true,
  external: [/^@quorumkit\//],
});

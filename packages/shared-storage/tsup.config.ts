import { defineConfig } from 'tsup';

export default defineConfig({
  // named entries keep dist/index.js (the package main) next to dist/bench/index.js
  entry: { index: 'src/index.ts', 'bench/index': 'bench/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' }, compilerOptions: { paths: {}, noEmit: false } },
  sourcemap: true,
  clean: true,
  external: [/^@quorumkit\//],
});

import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { paths: {}, noEmit: false } },
  sourcemap: true,
  clean: true,
  external: [/^@quorumkit\//],
});

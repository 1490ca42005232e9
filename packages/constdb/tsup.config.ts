import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'cli/constdb-server': 'src/cli/constdb-server.ts', 'bench/index': 'bench/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { paths: {}, noEmit: false } },
  sourcemap: true,
  clean: true,
  external: [/^@quorumkit\//, 'ioredis'],
});

import { defineConfig } from 'tsup';

export default defineConfig({
  // named entries keep dist/index.js, dist/cli/*.js and dist/bench/index.js at fixed paths
  entry: {
    index: 'src/index.ts',
    'cli/rrseq-server': 'src/cli/rrseq-server.ts',
    'cli/rrseq-client': 'src/cli/rrseq-client.ts',
    'bench/index': 'bench/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' }, compilerOptions: { paths: {}, noEmit: false } },
  sourcemap: true,
  clean: true,
  external: [/^@quorumkit\//],
});

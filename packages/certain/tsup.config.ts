import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'cli/card-srv': 'src/cli/card-srv.ts',
    'cli/card-tool': 'src/cli/card-tool.ts',
    'bench/index': 'bench/index.ts',
    'bench/replica': 'bench/replica.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { paths: {}, noEmit: false } },
  sourcemap: true,
  clean: true,
  external: [/^@quorumkit\//],
});

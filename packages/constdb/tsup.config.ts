import { packageBuild } from '../../tsup.shared';

// ioredis stays external: the bench uses it and it does not survive bundling.
export default packageBuild(
  { index: 'src/index.ts', 'cli/constdb-server': 'src/cli/constdb-server.ts', 'cli/constdb-check-aof': 'src/cli/constdb-check-aof.ts', 'bench/index': 'bench/index.ts' },
  { external: ['ioredis'] },
);

import { packageBuild } from '../../tsup.shared';

export default packageBuild({
  index: 'src/index.ts',
  'cli/card-srv': 'src/cli/card-srv.ts',
  'cli/card-tool': 'src/cli/card-tool.ts',
  'bench/index': 'bench/index.ts',
  'bench/replica': 'bench/replica.ts',
  'bench/profile': 'bench/profile.ts',
});

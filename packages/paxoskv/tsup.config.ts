import { packageBuild } from '../../tsup.shared';

export default packageBuild({ index: 'src/index.ts', 'cli/paxoskv': 'src/cli/paxoskv.ts', 'bench/index': 'bench/index.ts' });

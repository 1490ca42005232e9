import { packageBuild } from '../../tsup.shared';

export default packageBuild({ index: 'src/index.ts', 'cli/csp-paxos': 'src/cli/csp-paxos.ts', 'bench/index': 'bench/index.ts' });

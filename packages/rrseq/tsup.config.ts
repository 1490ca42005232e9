import { packageBuild } from '../../tsup.shared';

export default packageBuild({
  index: 'src/index.ts',
  'cli/rrseq-server': 'src/cli/rrseq-server.ts',
  'cli/rrseq-client': 'src/cli/rrseq-client.ts',
  'cli/rrseq-admin': 'src/cli/rrseq-admin.ts',
  'bench/index': 'bench/index.ts',
});

// How the CLI reports failures: one line on stderr and a stable exit code per error kind.
import { QuorumkitError } from '@quorumkit/shared-storage';

export const EXIT = { ok: 0, notFound: 1, usage: 2, noQuorum: 3, deadline: 4, other: 5, clusterView: 6 } as const;

export function exitCodeFor(e: unknown): number {
  const code = e instanceof QuorumkitError ? e.code : (e as { code?: string })?.code;
  switch (code) {
    case 'EUSAGE':
    case 'ETLSCONFIG':
    case 'ETLSFILE':
      return EXIT.usage;
    case 'ECLUSTERVIEW':
      return EXIT.clusterView;
    case 'ENOQUORUMREACHABLE':
      return EXIT.noQuorum;
    case 'EPAXOSDEADLINE':
      return /no quorum reachable/.test((e as Error).message) ? EXIT.noQuorum : EXIT.deadline;
    default:
      return EXIT.other;
  }
}

export function fail(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`Error: ${msg.split('\n')[0]}\n`);
}

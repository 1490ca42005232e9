// The durable peer list (constdb.peers): replicas, the membership view and owed full syncs.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic, readFileChecked } from '@quorumkit/shared-storage';
import type { PeerMeta } from '../storage/snapshot.js';

export const PEERS_FILE = 'constdb.peers';

/** What the file holds (`forgotten` is the form written before the membership view). */
export interface SavedPeers {
  peers: PeerMeta[];
  members?: Array<[number, boolean, string]>;
  forgotten?: number[];
  owed?: Array<[number, number]>;
  owedGen?: number;
}

/** Writes the peer list one write after another (atomically), so the last one written wins. */
export class PeerFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly workDir: string,
    private readonly log: Logger,
  ) {}

  write(saved: SavedPeers): Promise<void> {
    const body = JSON.stringify(saved);
    const path = join(this.workDir, PEERS_FILE);
    // callers that must not go on before it is durable await the result (it rejects on error)
    const write = this.writing.then(() => writeFileAtomic(path, Buffer.from(body)));
    this.writing = write.catch((e: Error) => this.log.error({ err: e.message }, 'cannot write the peer list'));
    return write;
  }

  /** Settles once every write queued so far has been tried. */
  flush(): Promise<void> {
    return this.writing;
  }

  async read(): Promise<SavedPeers | undefined> {
    const bytes = await readFileChecked(join(this.workDir, PEERS_FILE));
    if (!bytes) return undefined;
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as SavedPeers;
  }
}

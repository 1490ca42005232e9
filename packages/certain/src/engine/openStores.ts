// Opening a replica's two stores with their checksums verified (shared-storage openStore
// { verify: true }: every WAL, MANIFEST and table record). LevelDB on its own would skip a
// damaged WAL record and open, and the replica would vote having forgotten a promise or an
// accept. A damaged store is moved aside (kept for forensics, never deleted) together with
// the other one, so the replica starts from fresh stores: without a voting record it is a
// non-voting learner that re-learns everything from the other replicas before it votes.
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreDamagedError } from '@quorumkit/shared-storage';
import type { Logger } from 'pino';
import { LevelPlog, type Plog } from '../storage/plog.js';
import { LevelDb, type ApplyFn, type Db } from '../storage/db.js';

export interface OpenedStores {
  plog: LevelPlog;
  db: LevelDb;
  /** Damaged stores found, with what was wrong (empty when both were intact). */
  damaged: string[];
  /** Where the damaged stores were moved. */
  movedAside: string[];
}

export async function openVerifiedStores(
  path: string, id: number, apply: ApplyFn, log: Logger, now: () => number = Date.now,
  dbOpts: { applySync?: boolean; rowCacheBytesMax?: number } = {},
): Promise<OpenedStores> {
  const dirs = [join(path, `logdb_${id}`), join(path, `datadb_${id}`)];
  const damaged: string[] = [];
  const movedAside: string[] = [];
  for (let round = 0; ; round++) {
    let plog: LevelPlog | undefined;
    try {
      plog = await LevelPlog.open(dirs[0]!, { verify: true });
      const db = await LevelDb.open(dirs[1]!, apply, { verify: true, ...dbOpts });
      return { plog, db, damaged, movedAside };
    } catch (err) {
      await plog?.close();
      // a fresh store that is damaged right away is not something moving aside can fix
      if (!(err instanceof StoreDamagedError) || round > 0) throw err;
      damaged.push(...err.problems);
      const suffix = `.damaged-${now()}`;
      for (const d of dirs) {
        if (!existsSync(d)) continue;
        await rename(d, d + suffix);
        movedAside.push(d + suffix);
      }
      log.error({ problems: err.problems, movedAside }, 'damaged store: moved aside; this replica recovers from the others before it votes');
    }
  }
}

export interface EngineStores {
  plog: Plog;
  db: Db;
  /** Checksum problems found (the stores were moved aside). */
  damaged: string[];
  /** The plog holds nothing this replica promised (new, wiped or damaged). */
  fresh: boolean;
  /** Whether to bootstrap (never over damaged stores). */
  bootstrap: boolean;
}

/**
 * The engine's stores: the ones it was given, else classic-level under `path` (verified; a
 * damaged pair moved aside makes the replica fresh and never a bootstrap voter).
 */
export async function openEngineStores(
  o: { acceptorId: number; path?: string; plog?: Plog; db?: Db; apply?: ApplyFn; freshPlog?: boolean; bootstrap?: boolean },
  dbOpts: { applySync: boolean; rowCacheBytesMax: number },
  log: Logger,
): Promise<EngineStores> {
  const { acceptorId: id, path } = o;
  const fresh = o.freshPlog ?? (path !== undefined && !existsSync(join(path, `logdb_${id}`, 'CURRENT')));
  const bootstrap = o.bootstrap === true;
  if (!o.plog && !o.db) {
    const opened = await openVerifiedStores(path!, id, o.apply!, log, Date.now, dbOpts);
    // what this replica promised is unknown: never a voter at once, whatever the flags say
    const damaged = opened.damaged.length > 0;
    return { plog: opened.plog, db: opened.db, damaged: opened.damaged, fresh: fresh || damaged, bootstrap: bootstrap && !damaged };
  }
  const plog = o.plog ?? (await LevelPlog.open(join(path!, `logdb_${id}`), { verify: true }));
  const db = o.db ?? (await LevelDb.open(join(path!, `datadb_${id}`), o.apply!, { verify: true, ...dbOpts }));
  return { plog, db, damaged: [], fresh, bootstrap };
}

// The engine's GetAll copies in flight: at most one per entity; when one ends, the entity's
// worker restarts its log after what was copied (EntityCore.getAllDone). A local store
// failure mid-copy leaves the durable in-progress flag set: the copy resumes on restart.
import type { Logger } from 'pino';
import type { EntityCore, Effects } from '../core/index.js';
import type { Db } from '../storage/db.js';
import type { Plog } from '../storage/plog.js';
import { runGetAll } from './getAll.js';
import type { Transport } from './transport.js';

export interface GetAllRunnerHost {
  db(): Db;
  plog(): Plog;
  transport(): Transport;
  entity(entityId: bigint): EntityCore | undefined;
  /** Wait for the entity's apply in progress (the copy takes the data over after it). */
  quiesce(entityId: bigint): Promise<void>;
  /** The copy is in the data store: note its uuids (before the entity moves past them). */
  copied(entityId: bigint): Promise<void>;
  /** The copy set the data store's maxCommittedEntry. */
  committed(entityId: bigint, maxCommitted: bigint): void;
  handle(e: Effects): void;
  stopped(): boolean;
  log: Logger;
  pageBytes: number;
  callDeadlineMs: number;
  /** Counts the copies started (metrics). */
  started(): void;
}

export class GetAllRunner {
  private readonly running = new Map<bigint, Promise<void>>();

  constructor(private readonly h: GetAllRunnerHost) {}

  /** Resolves when the entity's copy in flight (if any) has ended. */
  async wait(entityId: bigint): Promise<void> {
    await this.running.get(entityId);
  }

  start(entityId: bigint, peers: number[]): void {
    if (this.running.has(entityId)) return;
    this.h.started();
    this.h.log.info({ entityId: String(entityId), peers }, 'getall start');
    const core = this.h.entity(entityId);
    const run = runGetAll(entityId, peers, {
      db: this.h.db(), plog: this.h.plog(), transport: this.h.transport(),
      pageBytes: this.h.pageBytes, callDeadlineMs: this.h.callDeadlineMs,
      minMaxCommitted: () => core?.maxChosen ?? 0n,
      quiesce: () => this.h.quiesce(entityId),
      stopped: () => this.h.stopped(),
      log: (m, x) => this.h.log.info(x ?? {}, m),
    }).then(async (mc) => {
      if (mc !== undefined) await this.h.copied(entityId);
      this.running.delete(entityId);
      if (mc === undefined || !core) return;
      this.h.committed(entityId, mc);
      this.h.handle(core.getAllDone(mc, true, Date.now()));
    }).catch((err: unknown) => {
      // a local store failure mid-copy: the flag stays set, the copy resumes on restart
      this.running.delete(entityId);
      this.h.log.error({ err, entityId: String(entityId) }, 'getall failed');
    });
    this.running.set(entityId, run);
  }
}

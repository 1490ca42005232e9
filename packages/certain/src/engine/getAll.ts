// GetAll: copy a whole entity from a peer's pinned snapshot, page by page. The sink sets a
// durable flag before clearing local data, so a crash mid-copy resumes on restart; it fails
// over across peers and keeps retrying (commands on the entity get PendingError meanwhile).
import { randomBytes } from 'node:crypto';
import { backoffDelayMs, sleep } from '@quorumkit/shared-transport';
import type { Db, DbSnapshot } from '../storage/db.js';
import type { Plog } from '../storage/plog.js';
import type { GetAllPageReq, GetAllPageRsp, Transport } from './transport.js';

interface Session {
  entityId: bigint;
  snap: DbSnapshot;
  lastUsed: number;
}

/** Source side: pinned snapshots keyed by session id, released when done or idle. */
export class GetAllSource {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly db: Db,
    /** Bring the data store up to everything chosen before pinning. */
    private readonly replay: (entityId: bigint) => Promise<bigint>,
    private readonly idleMs: number,
  ) {}

  async page(req: GetAllPageReq, now: number): Promise<GetAllPageRsp> {
    let id = req.session;
    let s = id ? this.sessions.get(id) : undefined;
    if (!s || s.entityId !== req.entityId) {
      await this.replay(req.entityId);
      id = randomBytes(8).toString('hex');
      s = { entityId: req.entityId, snap: await this.db.snapshot(req.entityId), lastUsed: now };
      this.sessions.set(id, s);
      if (req.cursor) req = { ...req, cursor: undefined }; // a lost session restarts from the top
    }
    s.lastUsed = now;
    const p = await s.snap.page(req.cursor, req.bytesMax);
    if (p.nextCursor === undefined) {
      this.sessions.delete(id!);
      await s.snap.close();
    }
    return { session: id!, maxCommitted: s.snap.maxCommitted, rows: p.rows, nextCursor: p.nextCursor };
  }

  async sweep(now: number): Promise<void> {
    for (const [id, s] of this.sessions) {
      if (now - s.lastUsed > this.idleMs) {
        this.sessions.delete(id);
        await s.snap.close();
      }
    }
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await s.snap.close();
    this.sessions.clear();
  }
}

export interface GetAllSinkDeps {
  db: Db;
  plog: Plog;
  transport: Transport;
  pageBytes: number;
  callDeadlineMs: number;
  /** the lowest maxCommitted a source must have (what we already know is chosen) */
  minMaxCommitted(): bigint;
  /** wait until no apply is running on the entity */
  quiesce(): Promise<void>;
  stopped(): boolean;
  log(msg: string, extra?: Record<string, unknown>): void;
}

/** Copy entity `entityId` from the first peer that can serve it; retries until stopped. */
export async function runGetAll(entityId: bigint, peers: number[], d: GetAllSinkDeps): Promise<bigint | undefined> {
  for (let attempt = 0; !d.stopped(); attempt++) {
    const peer = peers[attempt % peers.length]!;
    try {
      let rsp = await d.transport.getAllPage(peer, { entityId, bytesMax: d.pageBytes }, d.callDeadlineMs);
      if (rsp.maxCommitted < d.minMaxCommitted()) throw new Error(`peer ${peer} is behind (${rsp.maxCommitted})`);
      // durable flag, then clear (a failed-over copy starts again from a clean entity)
      await d.quiesce();
      await d.db.beginGetAll(entityId);
      const session = rsp.session;
      const maxCommitted = rsp.maxCommitted;
      for (;;) {
        if (rsp.rows.length > 0) await d.db.putRows(entityId, rsp.rows);
        if (rsp.nextCursor === undefined) break;
        rsp = await d.transport.getAllPage(peer, { entityId, session, cursor: rsp.nextCursor, bytesMax: d.pageBytes }, d.callDeadlineMs);
        if (rsp.session !== session) throw new Error(`peer ${peer} lost the snapshot session`);
      }
      await d.plog.resetTo(entityId, maxCommitted);
      await d.db.finishGetAll(entityId, maxCommitted);
      d.log('getall done', { entityId: String(entityId), peer, maxCommitted: String(maxCommitted) });
      return maxCommitted;
    } catch (err) {
      d.log('getall attempt failed', { entityId: String(entityId), peer, err: err instanceof Error ? err.message : String(err) });
      await sleep(backoffDelayMs(attempt, { baseMs: 50, maxMs: 2000 }));
    }
  }
  return undefined;
}

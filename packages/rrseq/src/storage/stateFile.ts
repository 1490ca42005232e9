// The replica's durable state in one small file (the seed's "persist file"): rewritten
// whole, atomically (temp + fsync + rename + directory fsync, CRC-framed) by
// writeFileAtomic. Group commit: while one write is in flight, every further change waits
// for the next write, which takes a fresh snapshot, so one fsync covers many ops across
// every name. A failed write fails exactly the ops waiting on it; the next write retries.
import { rename, unlink, writeFile } from 'node:fs/promises';
import { CorruptFileError, atomicTempPath, frameFile, readFileChecked, writeFileAtomic } from '@quorumkit/shared-storage';
import type { ReplicaState } from '../core/index.js';

const FORMAT_VERSION = 2;
/** Cluster id given to a state written before explicit bootstrap existed (format 1). */
export const LEGACY_CLUSTER_ID = 'v1';

export function encodeState(s: ReplicaState): Uint8Array {
  const doc = {
    v: FORMAT_VERSION,
    incarnation: s.incarnation,
    boot: s.boot,
    fence: s.fence,
    ready: s.ready,
    cluster: s.cluster,
    blank: s.blank,
    floor: s.floor.toString(),
    values: [...s.values].map(([k, v]) => [k, v.toString()]),
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

export function decodeState(bytes: Uint8Array): ReplicaState {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as {
    v: number;
    incarnation: string;
    boot: number;
    fence: number;
    ready: boolean;
    cluster?: string;
    blank?: boolean;
    floor?: string;
    values: Array<[string, string]>;
  };
  if (doc.v !== FORMAT_VERSION && doc.v !== 1) throw new Error(`unknown state format version ${doc.v}`);
  if (typeof doc.incarnation !== 'string' || !Number.isSafeInteger(doc.boot) || !Number.isSafeInteger(doc.fence)) {
    throw new Error('malformed state');
  }
  return {
    incarnation: doc.incarnation,
    boot: doc.boot,
    fence: doc.fence,
    ready: doc.ready === true,
    // Format 1 predates bootstrap: its ready states belong to one unnamed cluster.
    cluster: doc.v === 1 ? (doc.ready === true ? LEGACY_CLUSTER_ID : '') : String(doc.cluster ?? ''),
    blank: doc.v === 1 ? false : doc.blank === true,
    floor: doc.v === 1 ? 1n : BigInt(doc.floor ?? '1'),
    values: new Map(doc.values.map(([k, v]) => [k, BigInt(v)])),
  };
}

export interface LoadResult {
  state?: ReplicaState;
  /** Set when a file existed but could not be used (then the replica recovers from peers). */
  problem?: string;
}

export async function loadState(path: string): Promise<LoadResult> {
  if (path === '') return {};
  try {
    const bytes = await readFileChecked(path);
    if (!bytes) return {};
    return { state: decodeState(bytes) };
  } catch (e) {
    // Corrupt, unreadable or foreign: unusable, so the replica rebuilds from its peers. The
    // file is moved aside (kept for inspection), never overwritten by the next write.
    const why = e instanceof CorruptFileError ? e.message : `unreadable state file ${path}: ${String(e)}`;
    const aside = `${path}.corrupt-${Date.now()}`;
    try {
      await rename(path, aside);
      return { problem: `${why} (moved aside to ${aside})` };
    } catch (moveErr) {
      // Refuse to start rather than let the next write destroy the evidence.
      throw new Error(`${why}; could not move it aside to ${aside}: ${String(moveErr)}`, { cause: moveErr });
    }
  }
}

export interface StateFileOptions {
  /** false: write + rename without fsync (benchmarks only: a crash may lose acknowledged state). */
  fsync: boolean;
}

export class StateFile {
  private writing = false;
  private waiting: Array<(ok: boolean) => void> = [];
  private idle: Array<() => void> = [];
  syncCount = 0;
  failures = 0;
  lastError: unknown;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => ReplicaState,
    private readonly opts: StateFileOptions,
  ) {}

  /** Durably store a snapshot taken after this call, then call done(ok). */
  persist(done: (ok: boolean) => void): void {
    if (this.path === '') {
      done(true);
      return;
    }
    this.waiting.push(done);
    if (!this.writing) void this.writeLoop();
  }

  /** Resolves when no write is in flight or waiting. */
  flush(): Promise<void> {
    if (!this.writing && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      let ok = true;
      try {
        const bytes = encodeState(this.snapshot());
        if (this.opts.fsync) await writeFileAtomic(this.path, bytes);
        else await this.writeUnsynced(bytes);
        this.syncCount += 1;
      } catch (e) {
        ok = false;
        this.failures += 1;
        this.lastError = e;
      }
      for (const done of batch) done(ok);
    }
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async writeUnsynced(bytes: Uint8Array): Promise<void> {
    const tmp = atomicTempPath(this.path);
    try {
      await writeFile(tmp, frameFile(bytes));
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}

// What the one-replica engine tests share: a transport for a cluster of one (nothing to send,
// no peer to page from), temporary directories and engines that are stopped and removed after
// each test even when it fails, and a range counter over a keyspace (how many rows a sweep
// visits).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Keyspace } from '@quorumkit/shared-storage';
import type { Certain } from '../../src/index.js';

/** The transport of a cluster of one replica. */
export const singleReplicaTransport = async () => ({
  send: () => undefined,
  getAllPage: () => Promise.reject(new Error('single replica')),
  close: async () => undefined,
});

/** Engines and directories of one test file, stopped and removed after each test. */
export function engineScratch(): {
  live: Set<Certain>;
  tempDir(prefix: string): string;
  /** starts the engine and stops it after the test unless the test did */
  started(c: Certain): Promise<Certain>;
  /** stops an engine the test started (a restart) */
  stop(c: Certain): Promise<void>;
} {
  const live = new Set<Certain>();
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.allSettled([...live].map((c) => c.stop()));
    live.clear();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    live,
    async started(c: Certain): Promise<Certain> {
      await c.start();
      live.add(c);
      return c;
    },
    async stop(c: Certain): Promise<void> {
      await c.stop();
      live.delete(c);
    },
    tempDir(prefix: string): string {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}

/** Counts the rows every range over `ks` yields from now on. */
export function countRangeRows(ks: Keyspace, c = { n: 0 }): { n: number } {
  const range = ks.range.bind(ks);
  ks.range = (opts) => ({
    async *[Symbol.asyncIterator]() {
      for await (const row of range(opts)) {
        c.n++;
        yield row;
      }
    },
  });
  return c;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type BatchOp, type Store } from '../src/index.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A temp directory removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'qk-shared-storage-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Register hooks that make a fresh temp directory before each test (handed to `use`) and remove it after. */
export function useTempDir(use: (dir: string) => void): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    use(t.dir);
  });
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });
}

export interface Backend {
  name: string;
  open(): Promise<Store>;
  /** Reopen the same data (only meaningful for durable backends). */
  reopen?(): Promise<Store>;
  cleanup(): Promise<void>;
}

export function backends(): { name: string; make: () => Promise<Backend> }[] {
  return [
    {
      name: 'classic-level',
      make: async () => {
        const { dir, cleanup } = await tempDir();
        const path = join(dir, 'db');
        return { name: 'classic-level', open: () => openStore(path), reopen: () => openStore(path), cleanup };
      },
    },
    {
      name: 'memory-level',
      make: async () => ({ name: 'memory-level', open: () => openStore({ memory: true }), cleanup: async () => undefined }),
    },
  ];
}

/** Register hooks that open a fresh store of `make` before each test (handed to `use`) and close it after. */
export function useStore(make: () => Promise<Backend>, use: (store: Store) => void): { backend: () => Backend } {
  let backend: Backend | undefined;
  let store: Store | undefined;
  beforeEach(async () => {
    backend = await make();
    store = await backend.open();
    use(store);
  });
  afterEach(async () => {
    await store?.close();
    await backend?.cleanup();
    store = undefined;
    backend = undefined;
  });
  return { backend: () => backend! };
}

/** A Store wrapper that records each batch and can hold or fail writes on demand. */
export function recordingStore(inner: Store, shouldFail: (batchIndex: number) => boolean = () => false) {
  const batches: number[] = [];
  let gate: Promise<void> | undefined;
  let failNext: Error | undefined;
  const store: Store = {
    keyspace: (n) => inner.keyspace(n),
    snapshot: () => inner.snapshot(),
    close: () => inner.close(),
    get location() {
      return inner.location;
    },
    get syncCount() {
      return inner.syncCount;
    },
    async write(ops: BatchOp[]) {
      batches.push(ops.length);
      if (gate) await gate;
      if (shouldFail(batches.length - 1)) throw new Error(`injected failure of batch ${batches.length - 1}`);
      if (failNext) {
        const err = failNext;
        failNext = undefined;
        throw err;
      }
      await inner.write(ops);
    },
  };
  return {
    store,
    batches,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    failNextWith(err: Error) {
      failNext = err;
    },
  };
}

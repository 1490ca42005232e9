import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareBytes, decodeBigintKey, encodeBigintKey, openStore, readFileChecked } from '../src/index.js';
import { crashPayload, payloadIndex } from './fixtures/crashPayload.js';
import { collect, tempDir } from './helpers.js';

// Real crashes: a child process writes in a loop and is SIGKILLed mid-write. A process kill
// does not lose the OS page cache, so this checks ordering (ack only after the write, rename
// only after the full temp file), not power-loss durability.

const require = createRequire(import.meta.url);
let childJs: string;
let bundleDir: { dir: string; cleanup: () => Promise<void> };
const children = new Set<ChildProcess>();

beforeAll(async () => {
  bundleDir = await tempDir();
  childJs = join(bundleDir.dir, 'crashChild.mjs');
  // Bundle the TS child (and the package source) into one file; the native LevelDB modules
  // stay external, imported by absolute path so the bundle can live in a temp dir.
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/crashChild.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childJs,
    logLevel: 'error',
    plugins: [
      {
        name: 'absolute-externals',
        setup(b) {
          b.onResolve({ filter: /^(classic-level|memory-level)$/ }, (args) => ({ path: require.resolve(args.path), external: true }));
        },
      },
    ],
  });
});
afterAll(() => bundleDir?.cleanup());
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});

/** Run the child until it has acked at least `minAcks` writes, SIGKILL it, return the acks. */
async function runAndKill(mode: 'store' | 'file', dir: string, minAcks: number): Promise<number[]> {
  const child = spawn(process.execPath, [childJs, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const acks: number[] = [];
  let stderr = '';
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let killing = false;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`child acked only ${acks.length} writes in time; stderr: ${stderr}`)), 60_000);
    const done = () => {
      clearTimeout(deadline);
      resolve();
    };
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) acks.push(Number(line.split(' ')[1]));
      if (acks.length >= minAcks) done();
    });
    child.on('exit', (code) => {
      clearTimeout(deadline);
      if (!killing) reject(new Error(`child exited early (${code}); stderr: ${stderr}`));
    });
  });
  killing = true;
  child.kill('SIGKILL');
  await exited;
  children.delete(child);
  return acks;
}

describe('crash safety under SIGKILL', () => {
  it('GroupCommitWriter: every acknowledged write survives a kill', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (let round = 0; round < 3; round++) {
        const acks = await runAndKill('store', dir, 200 + round * 150);
        const store = await openStore(join(dir, 'db'));
        try {
          const ks = store.keyspace('crash');
          // compareBytes, not toEqual: deep-equal on thousands of 20 KB arrays takes minutes.
          const lost: number[] = [];
          for (const i of acks) {
            const got = await ks.get(encodeBigintKey(BigInt(i)));
            if (!got || compareBytes(got, crashPayload(i)) !== 0) lost.push(i);
          }
          expect(lost).toEqual([]);
          for (const [k, v] of await collect(ks.range())) expect(payloadIndex(v)).toBe(Number(decodeBigintKey(k)));
        } finally {
          await store.close();
        }
      }
    } finally {
      await cleanup();
    }
  }, 120_000);

  it('writeFileAtomic: after a kill the file holds the last acked write or a newer one, never a torn one', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (let round = 0; round < 5; round++) {
        const acks = await runAndKill('file', dir, 20 + round * 17);
        const last = Math.max(...acks);
        const payload = await readFileChecked(join(dir, 'state.bin'));
        expect(payload).toBeDefined();
        const i = payloadIndex(payload!);
        expect(i).toBeGreaterThanOrEqual(last);
        expect(i).toBeLessThanOrEqual(last + 1);
        expect(compareBytes(payload!, crashPayload(i))).toBe(0);
      }
    } finally {
      await cleanup();
    }
  }, 120_000);
});

import { execa } from 'execa';
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/index.js';
import { echoScript, pidAlive } from './helpers/echo.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('guaranteed teardown', () => {
  const leftovers: number[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-orphan-'));
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-orphan-bundle-'));
  afterAll(() => {
    for (const p of leftovers) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  async function parentWithCluster() {
    const bundle = path.join(outDir, `orphanParent-${process.pid}.mjs`);
    await build({
      entryPoints: [path.join(here, 'fixtures', 'orphanParent.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // everything (execa included) goes into one file, so it runs from a temp dir
      outfile: bundle,
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    const parent = execa(process.execPath, [bundle, echoScript, dataDir], { reject: false, buffer: false, stdin: 'ignore' });
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    parent.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /PIDS \[/.test(out), { timeoutMs: 60_000, what: 'parent to start its cluster' }).catch((err: Error) => {
      throw new Error(`${err.message}; parent output: ${out}`);
    });
    const pids = JSON.parse(/PIDS (\[.*\])/.exec(out)![1]!) as number[];
    leftovers.push(...pids, parent.pid!);
    return { parent, pids };
  }

  it('kills every process tree when the test process is SIGKILLed (reaper)', { timeout: 120_000 }, async () => {
    const { parent, pids } = await parentWithCluster();
    expect(pids).toHaveLength(4);
    expect(pids.every(pidAlive)).toBe(true);
    parent.kill('SIGKILL');
    await parent;
    await waitFor(() => pids.every((p) => !pidAlive(p)), { timeoutMs: 30_000, what: 'orphans to be reaped' });
  });

  it('kills every process tree when the test process gets SIGTERM', { timeout: 120_000 }, async () => {
    const { parent, pids } = await parentWithCluster();
    parent.kill('SIGTERM');
    await parent;
    await waitFor(() => pids.every((p) => !pidAlive(p)), { timeoutMs: 30_000, what: 'children to be killed' });
  });
});

// vitest globalSetup for every package: the run gets its own temporary directory, handed to
// the test workers (and every process they spawn) as TMPDIR, so os.tmpdir() and mkdtemp land
// inside it; at the end the directory is removed with whatever a test left behind, and the
// leftovers are named so the test that leaked them can be fixed. /tmp stays clean even when a
// test fails half-way or forgets its cleanup.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export default function setup(): () => void {
  const outer = tmpdir();
  const dir = mkdtempSync(join(outer, `quorumkit-test-${basename(process.cwd())}-`));
  process.env.TMPDIR = dir;
  // freePorts' reservations must stay machine-wide, or two packages' runs could pick one port
  process.env.QUORUMKIT_PORTS_DIR ??= join(outer, 'quorumkit-ports');
  return () => {
    let left: string[] = [];
    try {
      left = readdirSync(dir);
    } catch {
      return; // already gone
    }
    if (left.length > 0) {
      const shown = left.slice(0, 10).join(', ') + (left.length > 10 ? `, ... (${left.length} in all)` : '');
      console.warn(`test-tmpdir: removed ${left.length} temporary entr${left.length === 1 ? 'y' : 'ies'} the tests left: ${shown}`);
    }
    rmSync(dir, { recursive: true, force: true });
    process.env.TMPDIR = outer;
  };
}

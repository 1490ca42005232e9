import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Guaranteed teardown. Every child runs in its own process group (spawned detached), and its
 * group id is listed here. Three layers kill the groups:
 *  1. Cluster.stop() / stopAllClusters() (tests call it in afterEach/afterAll);
 *  2. a synchronous 'exit' hook (and SIGINT/SIGTERM/SIGHUP handlers) in this process;
 *  3. a detached reaper process that polls this process and, when it is gone (even after
 *     SIGKILL, e.g. a vitest worker torn down on timeout), kills every listed group.
 */
const groups = new Set<number>();
const listFile = path.join(os.tmpdir(), `quorumkit-reaper-${process.pid}.json`);
let installed = false;

const REAPER_SOURCE = `
const fs = require('node:fs');
const [parent, file] = [Number(process.argv[1]), process.argv[2]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const timer = setInterval(() => {
  if (alive(parent)) return;
  clearInterval(timer);
  let list = [];
  try { list = JSON.parse(fs.readFileSync(file, 'utf8')); } catch {}
  for (const g of list) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  try { fs.unlinkSync(file); } catch {}
}, 250);
`;

function writeList(): void {
  try {
    fs.writeFileSync(listFile, JSON.stringify([...groups]));
  } catch {
    // tmp not writable: layers 1 and 2 still work
  }
}

export function killAllGroupsSync(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const g of groups) {
    try {
      process.kill(-g, signal);
    } catch {
      // already gone
    }
  }
  groups.clear();
  try {
    fs.unlinkSync(listFile);
  } catch {
    // nothing to remove
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => killAllGroupsSync());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only take over the signal when nobody else handles it; then behave like the default (exit).
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      killAllGroupsSync();
      process.kill(process.pid, sig);
    });
  }
  writeList();
  const child = spawn(process.execPath, ['-e', REAPER_SOURCE, String(process.pid), listFile], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
}

export function trackGroup(pgid: number): void {
  install();
  groups.add(pgid);
  writeList();
}

export function untrackGroup(pgid: number): void {
  groups.delete(pgid);
  writeList();
}

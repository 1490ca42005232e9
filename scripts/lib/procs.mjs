// Process plumbing for the root scripts (tour, bench, torture): start built CLIs, wait for
// their output, and guarantee that every process tree started here dies with us, also on Ctrl-C.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = (pkg, name) => join(repoRoot, 'packages', pkg, 'dist', 'cli', `${name}.js`);

const live = new Set();
const tempDirs = new Set();

/** Kill every process group we started (children are spawned detached = own group). */
export function killAll(signal = 'SIGKILL') {
  for (const child of live) {
    try { process.kill(-child.pid, signal); } catch { /* already gone */ }
  }
  live.clear();
}

export function cleanupTemp() {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

let hooked = false;
export function installTeardown(onInterrupt) {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => { killAll(); cleanupTemp(); });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killAll();
      cleanupTemp();
      onInterrupt?.(sig);
      process.exit(130);
    });
  }
}

export function makeTempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), `quorumkit-${prefix}-`));
  tempDirs.add(d);
  return d;
}

// Ports come from below Linux's ephemeral range (32768+), like the test harness's freePorts:
// a port from listen(0) lies inside that range, so between our check and the child's bind the
// kernel can hand it to some outgoing connection as its source port, and the child then fails
// to bind. Random picks in 20000-32000, each checked with an exclusive listen.
const PORT_LO = 20_000;
const PORT_HI = 32_000;

function canListen(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function freePort() {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const port = PORT_LO + Math.floor(Math.random() * (PORT_HI - PORT_LO));
    if (await canListen(port)) return port;
  }
  throw new Error('freePort: no free port found in 20000-32000');
}

export async function freePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** A long-running CLI: output is kept in memory and copied to logFile. */
export function startProcess(script, args, { cwd = repoRoot, logFile, env } = {}) {
  const child = spawn(process.execPath, [script, ...args], {
    cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  const proc = { child, output: '', exited: false, code: null };
  const onData = (b) => { proc.output += b.toString(); log?.write(b); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  proc.done = new Promise((resolve) => child.on('exit', (code, signal) => {
    proc.exited = true; proc.code = code ?? signal; live.delete(child); log?.end(); resolve(proc.code);
  }));
  proc.kill = async (signal = 'SIGKILL') => {
    if (proc.exited) return;
    try { process.kill(-child.pid, signal); } catch { /* gone */ }
    await proc.done;
  };
  proc.waitFor = (re, timeoutMs = 30_000) => waitUntil(() => re.test(proc.output), timeoutMs,
    () => `${script.split('/').slice(-1)[0]} to print ${re} (exited: ${proc.exited}; output tail: ${proc.output.slice(-400)})`);
  return proc;
}

/** A short CLI call: resolves with its exit code and output, killed at the timeout. */
export async function runCli(script, args, { cwd = repoRoot, timeoutMs = 30_000, env } = {}) {
  const p = startProcess(script, args, { cwd, env });
  const timer = setTimeout(() => p.kill(), timeoutMs);
  const code = await p.done;
  clearTimeout(timer);
  return { code, output: p.output };
}

export async function waitUntil(cond, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One CLI convention for every bin the packages ship (issue 23), checked on the real launchers
// (packages/<pkg>/bin/<name>.js, what npm links), each found from its package.json `bin` map:
// --version prints exactly the package.json version and exits 0; --help exits 0; an unknown
// flag is ONE `Error: ...` line on stderr (plus at most one usage line), nothing on stdout,
// exit 2; a status/probe command exits non-zero when its server is down.
//
// A bin that does not follow the convention yet, and whose file may not be changed from here,
// is listed in GAPS: its check runs as an expected failure (it.fails), so the day the gap is
// closed the check turns red and the entry must be removed.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PKGS = ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];
const RUN_TIMEOUT_MS = 60_000;

interface Bin { name: string; pkg: string; file: string; version: string }

const BINS: Bin[] = PKGS.flatMap((pkg) => {
  const j = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { version: string; bin?: Record<string, string> };
  return Object.entries(j.bin ?? {}).map(([name, rel]) => ({ name, pkg, file: join(root, 'packages', pkg, rel), version: j.version }));
});

/** Known deviations ("<bin> <check>") and why they are not fixed from the release work. */
// None today: every bin follows the convention. Add "<bin> <check>": 'why' while a fix is pending.
const GAPS: Record<string, string> = {};
const check = (bin: string, what: string) => (`${bin} ${what}` in GAPS ? it.fails : it);

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}
const show = (r: Run) => `exit ${r.code} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

it('finds the 11 bins of the five systems', () => {
  expect(BINS.map((b) => b.name).sort()).toEqual([
    'card-srv', 'card-tool', 'card_srv', 'card_tool', 'constdb-check-aof', 'constdb-server', 'csp-paxos', 'paxoskv', 'rrseq-admin', 'rrseq-client', 'rrseq-server',
  ]);
});

describe.each(BINS)('$name', (bin) => {
  it('--version prints exactly the package.json version and exits 0', async () => {
    const r = await run(bin.file, ['--version']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(`${bin.version}\n`);
  });

  it('--help exits 0 and prints the usage on stdout', async () => {
    const r = await run(bin.file, ['--help']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/usage/i);
  });

  check(bin.name, 'unknown-flag')('an unknown flag is one Error: line (and at most one usage line) on stderr, exit 2', async () => {
    const r = await run(bin.file, ['--bogus-flag-xyz']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Error: .*--bogus-flag-xyz/);
    expect(lines.length, show(r)).toBeLessThanOrEqual(2);
    if (lines[1] !== undefined) expect(lines[1]).toMatch(new RegExp(`^usage: ${bin.name.replace('_', '[-_]')} `));
  });
});

// The probe each bin that has one uses, aimed at ports nothing listens on.
const PROBES: Record<string, (ports: number[]) => string[]> = {
  'card-tool': (p) => ['-X', `127.0.0.1:${p[0]}`, '-Y', `127.0.0.1:${p[1]}`, '-Z', `127.0.0.1:${p[2]}`, '-o', 'Select', '-i', '1', '--timeout', '3000'],
  paxoskv: (p) => ['get', 'foo', '--acceptors', p.map((x) => `127.0.0.1:${x}`).join(','), '--timeout-ms', '3000'],
  'rrseq-admin': (p) => ['status', `127.0.0.1:${p[0]}`],
  'csp-paxos': (p) => ['status', '-n', '3', '--ports', p.join(',')],
};
PROBES.card_tool = PROBES['card-tool']!;

describe('status and probe commands with the server down', () => {
  it('every bin with a probe is covered', () => {
    const withProbe = BINS.filter((b) => PROBES[b.name]).map((b) => b.name).sort();
    expect(withProbe).toEqual(['card-tool', 'card_tool', 'csp-paxos', 'paxoskv', 'rrseq-admin']);
  });

  for (const [name, args] of Object.entries(PROBES)) {
    check(name, 'status-down')(`${name} probe exits non-zero with its servers down`, async () => {
      const bin = BINS.find((b) => b.name === name)!;
      // Free ports nobody listens on: the probe must see the servers as down.
      const ports = await freePorts(3);
      const r = await run(bin.file, args(ports));
      expect(r.signal, show(r)).toBeNull();
      expect(r.code, show(r)).not.toBe(0);
      expect(r.code, show(r)).not.toBeNull();
    });
  }
});

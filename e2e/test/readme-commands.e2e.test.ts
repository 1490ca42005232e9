// Every README command block marked `<!-- readme-test ... -->` (the line before its fence) runs
// against real processes, so a README that drifts from the code turns CI red (issue 23).
//
// Isolation and cleanup: each block runs in its own network, mount and pid namespace
// (unshare): the README's fixed default ports (50050, 9001, 3333, 19001, 10000 ...) are on a
// private loopback, so they never meet another test's ports; /tmp is a private tmpfs and the
// repository an overlay, so the block's files (/tmp/certain, ./paxoskv-data ...) vanish with
// it; and when the block's shell (pid 1 there) ends or is killed, the kernel kills every
// process it started. Without unshare (not root, no user namespaces) the file skips and says why.
//
// How a block runs (one bash, line by line, as a person would type it; rules in parseBlock):
// - `npm ci && npm run build` is skipped: the e2e target has built every package already;
// - a line ending in `&` runs as written (so `kill %1` stops what the README says); a line
//   starting with a `bg` prefix is "another terminal": backgrounded, output to its own log;
// - before the next foreground line after a background start, the runner waits until every
//   `wait-ports` port accepts connections (a person waits for the servers too), and after a
//   `kill %N` line until job N has ended;
// - expected output: `#     text` lines (4+ spaces) after a command, trailing `# text` on
//   lines starting with an `expect` prefix (a trailing `(...)` aside dropped), or with
//   `commands="N"` every line after the first N commands (a transcript, numbers may differ);
//   the expected lines must appear in that order in the command's stdout+stderr;
// - a foreground command without expected output must exit 0;
// - `bg-output="prefix=ERE;..."`: each background job of that prefix must print a matching line;
// - `logs="path ..."`: files the block's servers log to (inside its private /tmp, gone with
//   it): their last lines are read when the block ends and shown in any failed assertion.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const READMES = ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos', 'shared-storage', 'shared-transport', 'test-harness'].map((p) => `packages/${p}/README.md`);
const BLOCK_TIMEOUT_MS = 240_000;
const WAIT_S = 90; // bound of each wait inside a block (ports, job end, background output)

interface Step { line: string; kind: 'fg' | 'bg-as-written' | 'bg-terminal'; expect: string[]; killJobs: number[]; readmeLine: number }
interface Block { file: string; startLine: number; attrs: Record<string, string>; steps: Step[]; transcript: boolean }

const attrRe = /([a-z-]+)="([^"]*)"/g;

/** Strips a trailing `# comment` that is outside quotes; returns [command, comment]. */
function splitComment(line: string): [string, string | undefined] {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === q) q = undefined;
    } else if (c === "'" || c === '"') q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return [line.slice(0, i).trimEnd(), line.slice(i + 1).trim()];
  }
  return [line.trimEnd(), undefined];
}

const prefixes = (s: string | undefined) => (s ? s.split('|').map((x) => x.trim()).filter(Boolean) : []);

function parseBlock(file: string, startLine: number, attrs: Record<string, string>, body: string[]): Block {
  const bg = prefixes(attrs.bg);
  const expectPrefixes = prefixes(attrs.expect);
  const commands = attrs.commands === undefined ? undefined : Number(attrs.commands);
  const steps: Step[] = [];
  let n = 0;
  for (const [at, line] of body.entries()) {
    let raw = line;
    if (commands !== undefined && n >= commands) {
      if (raw.trim()) steps.at(-1)!.expect.push(raw.trimEnd());
      continue;
    }
    raw = raw.trimEnd();
    const out = /^#\s{4,}(.*)$/.exec(raw);
    if (out) {
      const last = steps.at(-1);
      if (last?.kind === 'fg') last.expect.push(out[1]!);
      continue;
    }
    const [cmd, comment] = splitComment(raw);
    if (!cmd) continue;
    n++;
    if (/^npm ci && npm run build$/.test(cmd)) continue;
    const kind: Step['kind'] = cmd.endsWith('&') ? 'bg-as-written' : bg.some((p) => cmd.startsWith(p)) ? 'bg-terminal' : 'fg';
    const expectOut = kind === 'fg' && comment && expectPrefixes.some((p) => cmd.startsWith(p)) ? [comment.replace(/\s{2,}\(.*\)$/, '')] : [];
    const killJobs = /^kill\b/.test(cmd) ? [...cmd.matchAll(/%(\d+)/g)].map((m) => Number(m[1])) : [];
    steps.push({ line: cmd, kind, expect: expectOut, killJobs, readmeLine: startLine + at });
  }
  return { file, startLine, attrs, steps, transcript: commands !== undefined };
}

function findBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!--\s*readme-test\b(.*?)-->\s*$/.exec(lines[i]!);
    if (!m) continue;
    const fence = lines[i + 1] ?? '';
    if (!/^```(sh|bash)?\s*$/.test(fence)) throw new Error(`${file}:${i + 1}: a readme-test marker must be the line before a \`\`\`sh block`);
    const end = lines.findIndex((l, j) => j > i + 1 && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: unterminated block`);
    const attrs = Object.fromEntries([...m[1]!.matchAll(attrRe)].map((a) => [a[1]!, a[2]!]));
    blocks.push(parseBlock(file, i + 3, attrs, lines.slice(i + 2, end)));
    i = end;
  }
  return blocks;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The bash script a block becomes; markers on stdout delimit each step's output. */
function scriptFor(b: Block): string {
  const ports = (b.attrs['wait-ports'] ?? '').split(/\s+/).filter(Boolean);
  const bgOut = (b.attrs['bg-output'] ?? '').split(';').filter(Boolean).map((kv) => {
    const at = kv.indexOf('=');
    return [kv.slice(0, at).trim(), kv.slice(at + 1)] as const;
  });
  const out: string[] = [
    `qk_wait_ports() { local d=$((SECONDS+${WAIT_S})) p; for p in ${ports.join(' ')}; do until (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do if [ $SECONDS -ge $d ]; then echo "@@QK-FAIL port $p never accepted a connection"; exit 97; fi; sleep 0.2; done; done; }`,
    `qk_wait_job() { local d=$((SECONDS+${WAIT_S})); while jobs %$1 >/dev/null 2>&1 && [ -n "$(jobs -r %$1 2>/dev/null)" ]; do if [ $SECONDS -ge $d ]; then echo "@@QK-FAIL job %$1 did not end after kill"; exit 97; fi; sleep 0.2; done; }`,
    `qk_wait_log() { local d=$((SECONDS+${WAIT_S})); until grep -Eq "$2" "$1" 2>/dev/null; do if [ $SECONDS -ge $d ]; then return 1; fi; sleep 0.3; done; }`,
  ];
  let pending = false;
  const bgJobs: { i: number; pattern?: string }[] = [];
  b.steps.forEach((s, i) => {
    if (s.kind === 'fg') {
      if (pending && ports.length) out.push('qk_wait_ports');
      pending = false;
      out.push(`echo "@@QK-CMD ${i}"`, `{ ${s.line}\n} 2>&1`, `echo "@@QK-RC ${i} $?"`);
      for (const j of s.killJobs) out.push(`qk_wait_job ${j}`);
    } else {
      pending = true;
      out.push(`echo "@@QK-BG ${i}"`);
      if (s.kind === 'bg-as-written') out.push(s.line);
      else {
        out.push(`${s.line} >/tmp/.qk-bg-${i}.log 2>&1 &`, `qk_pid_${i}=$!`);
        bgJobs.push({ i, pattern: bgOut.find(([p]) => s.line.startsWith(p))?.[1] });
      }
    }
  });
  if (pending && ports.length) out.push('qk_wait_ports');
  for (const { i, pattern } of bgJobs) {
    if (pattern) out.push(`qk_wait_log /tmp/.qk-bg-${i}.log ${shq(pattern)} || echo "@@QK-FAIL background step ${i} printed no line matching ${pattern.replace(/["$`\\]/g, '.')}"`);
    out.push(`kill -0 $qk_pid_${i} 2>/dev/null || echo "@@QK-FAIL background step ${i} exited early"`);
  }
  for (const { i } of bgJobs) out.push(`echo "@@QK-BGLOG ${i}"`, `tail -n 20 /tmp/.qk-bg-${i}.log`);
  for (const f of (b.attrs.logs ?? '').split(/\s+/).filter(Boolean)) out.push(`echo "@@QK-LOG ${f.replace(/["$`\\]/g, '.')}"`, `tail -n 60 ${shq(f)} 2>&1`);
  out.push('echo "@@QK-END"');
  return out.join('\n') + '\n';
}

// The namespace set-up: private loopback, private /tmp, the repository as a throw-away overlay.
const PRELUDE = `set -e
ip link set lo up
S=$(cat "$1")
mount -t tmpfs qk-stage /dev/shm
mkdir -p /dev/shm/.qk-ovl/u /dev/shm/.qk-ovl/w /dev/shm/.qk-ovl/m
mount -t overlay overlay -o lowerdir=${root},upperdir=/dev/shm/.qk-ovl/u,workdir=/dev/shm/.qk-ovl/w /dev/shm/.qk-ovl/m
mount -t tmpfs qk-readme /tmp
mkdir -p ${root}
mount --bind /dev/shm/.qk-ovl/m ${root}
cd ${root}
set +e
eval "$S"`;
const UNSHARE = ['--pid', '--fork', '--kill-child=SIGKILL', '--mount-proc', '--net', '--mount', '--propagation', 'private'];

function unavailable(): string | undefined {
  if (spawnSync('unshare', ['--version']).status !== 0) return 'unshare (util-linux) is not installed';
  if (spawnSync('ip', ['-V']).status !== 0) return 'ip (iproute2) is not installed';
  const asRoot = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
  const r = spawnSync('unshare', [...asRoot, ...UNSHARE, 'bash', '-c', PRELUDE, 'prelude', '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? undefined : `cannot make private namespaces with unshare: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
}

const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
let child: ChildProcess | undefined;
afterEach(() => {
  // unshare's --kill-child takes the whole namespace down with it.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

async function runBlock(b: Block, scriptFile: string): Promise<{ out: string; code: number | null }> {
  const asRoot = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
  writeFileSync(scriptFile, scriptFor(b));
  return new Promise((resolve) => {
    const p = spawn('unshare', [...asRoot, ...UNSHARE, 'bash', '-c', PRELUDE, 'readme', scriptFile], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...cleanEnv, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    child = p;
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
  });
}

/** Each fg step's output, its exit code, and the runner's failures. */
function splitOutput(out: string): { steps: Map<number, { text: string; rc?: number }>; failures: string[]; ended: boolean; logs: string } {
  const steps = new Map<number, { text: string; rc?: number }>();
  const failures: string[] = [];
  let cur: { text: string; rc?: number } | undefined;
  let logs = '';
  let inLog = false;
  for (const line of out.split('\n')) {
    const m = /^@@QK-(CMD|RC|BG|BGLOG|LOG|FAIL|END) ?(\d+)? ?(.*)$/.exec(line);
    if (!m) {
      if (cur) cur.text += line + '\n';
      else if (inLog) logs += line + '\n';
      continue;
    }
    inLog = m[1] === 'LOG';
    if (inLog) {
      cur = undefined;
      logs += `--- ${m[3]} (last 60 lines)\n`;
      continue;
    }
    if (m[1] === 'CMD') steps.set(Number(m[2]), (cur = { text: '' }));
    else if (m[1] === 'RC') {
      steps.get(Number(m[2]))!.rc = Number(m[3]);
      cur = undefined;
    } else if (m[1] === 'FAIL') failures.push(`${m[2] ?? ''} ${m[3]}`.trim());
    else cur = undefined;
  }
  return { steps, failures, ended: /^@@QK-END$/m.test(out), logs };
}

const norm = (s: string, numbers: boolean) => (numbers ? s.replace(/\d+/g, 'N') : s).trim();

/** The expected lines, in order, as a subsequence of the actual lines; the first one missing. */
function missingLine(expected: string[], actual: string, numbers: boolean): string | undefined {
  const got = actual.split('\n').map((l) => norm(l, numbers));
  let at = 0;
  for (const e of expected) {
    const want = norm(e, numbers);
    const k = got.indexOf(want, at);
    if (k < 0) return e;
    at = k + 1;
  }
  return undefined;
}

const BLOCKS = READMES.flatMap((f) => findBlocks(f, readFileSync(join(root, f), 'utf8')));
const reason = unavailable();
if (reason) console.warn(`readme-commands e2e skipped: ${reason}`);

it('finds the marked quickstart blocks of the five systems', () => {
  expect(BLOCKS.map((b) => b.file.split('/')[1]).sort()).toEqual(['certain', 'constdb', 'csp-paxos', 'paxoskv', 'rrseq']);
});

it('parses the rules: skipped build line, background kinds, expected output, kill waits', () => {
  const b = parseBlock('x', 1, { bg: 'srv', expect: 'cli' }, [
    'npm ci && npm run build', 'srv --port 1', 'node a.js &   # job 1', 'cli get k   # v1   (an aside)', 'tool x', '#     Done', 'kill %1 %2', '# a remark',
  ]);
  expect(b.steps.map((s) => [s.line, s.kind, s.expect, s.killJobs])).toEqual([
    ['srv --port 1', 'bg-terminal', [], []], ['node a.js &', 'bg-as-written', [], []], ['cli get k', 'fg', ['v1'], []], ['tool x', 'fg', ['Done'], []], ['kill %1 %2', 'fg', [], [1, 2]],
  ]);
  expect(b.steps.map((s) => s.readmeLine)).toEqual([2, 3, 4, 5, 7]);
  expect(missingLine(['a', 'c'], 'a\nlog\nc\n', false)).toBeUndefined();
  expect(missingLine(['c', 'a'], 'a\nlog\nc\n', false)).toBe('a');
  expect(missingLine(['node 0 commits 24200 times'], 'node 0 commits 17 times\n', true)).toBeUndefined();
});

describe.skipIf(reason !== undefined)('README command blocks run verbatim', () => {
  for (const b of BLOCKS) {
    it(`${b.file}:${b.startLine}`, async () => {
      if (b.steps.some((s) => s.line.startsWith('redis-cli')) && spawnSync('redis-cli', ['--version']).status !== 0) {
        throw new Error('redis-cli is needed by this README block (.ci/run installs redis-tools)');
      }
      const dir = mkdtempSync(join(tmpdir(), 'qk-readme-'));
      try {
        const { out, code } = await runBlock(b, join(dir, 'block.sh'));
        if (process.env.QK_README_DEBUG) console.log(out);
        const r = splitOutput(out);
        const logs = r.logs ? `\nserver logs:\n${r.logs}` : '';
        const context = `${b.file}:${b.startLine} (exit ${code})\n${out.slice(-6000)}`;
        expect(r.failures, context).toEqual([]);
        expect(r.ended, context).toBe(true);
        b.steps.forEach((s, i) => {
          if (s.kind !== 'fg') return;
          const got = r.steps.get(i);
          // the README line: the same command can appear twice in a block (certain's Select)
          const where = `${b.file}:${s.readmeLine}`;
          expect(got, `step ${i} (${where}) \`${s.line}\` did not run\n${context}`).toBeDefined();
          if (s.expect.length === 0) expect(got!.rc, `${where} \`${s.line}\` exited ${got!.rc}:\n${got!.text}${logs}`).toBe(0);
          else expect(missingLine(s.expect, got!.text, b.transcript), `${where} \`${s.line}\` printed:\n${got!.text}${logs}`).toBeUndefined();
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, BLOCK_TIMEOUT_MS + 30_000);
  }
});

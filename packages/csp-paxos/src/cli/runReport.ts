// What `run` / `run-and-check` print about nodes that went wrong: which node, what happened
// (its exit code, or that it never answered), and the last lines of its node<i>.out, so a
// failed check names its cause instead of only "node i never commits".
import { type CheckResult } from '../core/check.js';
import { type RunResult, nodeOutPath, tailLines } from '../server/runner.js';

const NEVER_COMMITS = /^node (\d+) never commits$/;

export function runProblemLines(run: RunResult, logDir: string, check?: CheckResult): string[] {
  const lines: string[] = [];
  const told = new Set<number>();
  for (const p of run.problems) {
    told.add(p.node);
    lines.push(`node ${p.node} ${p.what} (${nodeOutPath(logDir, p.node)})`);
    for (const l of p.outTail) lines.push(`  node${p.node}.out | ${l}`);
  }
  // A node that ran the whole window and committed nothing: its exit codes and output.
  for (const v of check?.validity ?? []) {
    const m = NEVER_COMMITS.exec(v);
    if (!m) continue;
    const i = Number(m[1]);
    if (told.has(i)) continue;
    const codes = (run.exits[i] ?? []).map((c) => (c === null ? 'signal' : String(c))).join(', ') || 'none';
    lines.push(`node ${i} never committed; its exit codes: ${codes} (${nodeOutPath(logDir, i)})`);
    for (const l of tailLines(nodeOutPath(logDir, i))) lines.push(`  node${i}.out | ${l}`);
  }
  return lines;
}

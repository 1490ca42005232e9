#!/usr/bin/env node
// Rewrites the bench figure tables of the root README and every package README from ONE
// bench run's JSON set (bench-results/ after `npm run bench`), so they cannot disagree.
// Tables live between markers, the rest of each README is left as it is:
//   <!-- bench:summary:begin --> ... <!-- bench:summary:end -->      root README.md
//   <!-- bench:<package>:begin --> ... <!-- bench:<package>:end -->  packages/<package>/README.md
// Usage: node scripts/readme-figures.mjs [--dir bench-results] [--root <repo>] [--check] [--allow-mixed]
//   --check  writes nothing; exit 1 when a README's tables differ from the JSON.
//   A result older than the run's machine.json is from another run: refused (exit 2)
//   unless --allow-mixed.
// A README whose markers are broken (begin without end, twice, out of order) stops the run
// before anything is written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECTS, figureBlock, loadBenchSet, staleResults } from './lib/figures-md.mjs';

export class MarkerError extends Error {
  constructor(file, message) {
    super(`${file}: ${message}`);
    this.name = 'MarkerError';
    this.code = 'BENCH_MARKERS';
  }
}

/** Replaces the text between the key's markers; undefined when the file has no markers. */
export function replaceBetweenMarkers(text, key, block, file = 'README') {
  const begin = `<!-- bench:${key}:begin -->`;
  const end = `<!-- bench:${key}:end -->`;
  const b = text.indexOf(begin);
  const e = text.indexOf(end);
  if (b < 0 && e < 0) return undefined;
  if (b < 0 || e < 0) throw new MarkerError(file, `has ${b < 0 ? end : begin} without ${b < 0 ? begin : end}`);
  if (text.indexOf(begin, b + 1) >= 0 || text.indexOf(end, e + 1) >= 0) throw new MarkerError(file, `has the ${key} markers more than once`);
  if (e < b) throw new MarkerError(file, `has ${end} before ${begin}`);
  return `${text.slice(0, b + begin.length)}\n\n${block}\n\n${text.slice(e)}`;
}

/** Plans every README's new text: [{ file, key, status: 'changed'|'same'|'no markers'|'no result', text }]. */
export function planReadmes(root, set) {
  const targets = [{ file: join(root, 'README.md'), key: 'summary' }, ...PROJECTS.map((p) => ({ file: join(root, 'packages', p, 'README.md'), key: p }))];
  return targets.filter((t) => existsSync(t.file)).map((t) => {
    const old = readFileSync(t.file, 'utf8');
    const rel = relative(root, t.file);
    const block = figureBlock(t.key, set);
    if (block === undefined) {
      // validate the markers anyway, so a broken README is caught before a run has results for it
      return { ...t, rel, status: replaceBetweenMarkers(old, t.key, '', rel) === undefined ? 'no markers' : 'no result', text: old };
    }
    const text = replaceBetweenMarkers(old, t.key, block, rel);
    if (text === undefined) return { ...t, rel, status: 'no markers', text: old };
    return { ...t, rel, status: text === old ? 'same' : 'changed', text };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  const root = resolve(opt('--root', fileURLToPath(new URL('..', import.meta.url))));
  const dir = resolve(opt('--dir', join(root, 'bench-results')));
  const check = argv.includes('--check');
  const set = loadBenchSet(dir);
  if (!set.results.length) {
    console.error(`readme-figures: no bench JSON in ${dir}; run npm run bench first`);
    process.exit(2);
  }
  if (!set.machine) console.error(`readme-figures: no machine.json in ${dir}: cannot tell whether every file is from one run`);
  const stale = staleResults(set);
  if (stale.length && !argv.includes('--allow-mixed')) {
    console.error(`readme-figures: ${stale.join(', ')} are not from the run that machine.json (${set.machine.date}) started: not one run's figures; re-run their bench or pass --allow-mixed`);
    process.exit(2);
  }
  let plan;
  try {
    plan = planReadmes(root, set);
  } catch (err) {
    if (!(err instanceof MarkerError)) throw err;
    console.error(`readme-figures: ${err.message}; nothing written`);
    process.exit(2);
  }
  for (const p of plan) {
    console.log(`${p.status.padEnd(10)} ${p.rel}${p.status === 'no result' ? ` (no ${p.key}.json in ${relative(root, dir) || dir})` : ''}`);
    if (p.status === 'changed' && !check) writeFileSync(p.file, p.text);
  }
  const changed = plan.filter((p) => p.status === 'changed').length;
  if (check && changed) {
    console.error(`readme-figures: ${changed} README(s) differ from ${dir}; run node scripts/readme-figures.mjs`);
    process.exit(1);
  }
  console.log(`readme-figures: ${check ? 'checked' : 'rewrote'} ${changed} README(s) from ${dir}`);
}

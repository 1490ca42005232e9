#!/usr/bin/env node
// What a user gets from `npm install @quorumkit/<pkg>`: packs every package with npm (the
// same file selection `npm publish` uses), unpacks each tarball and checks what is inside
// against the rules of docs/RELEASING.md. Run after a build:
//   node scripts/pack-check.mjs [--keep]       (exit 1 and one line per problem if any)
// e2e/test/pack.e2e.test.ts imports packAll/checkTarball and then installs the tarballs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/** Publish order: a package comes after every sibling it depends on. */
export const PACKAGES = ['shared-storage', 'shared-transport', 'test-harness', 'certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];
export const SYSTEMS = ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];
const PLACEHOLDER_DESCRIPTION = /^quorumkit [\w-]+$/;
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Under `npm run`/nx the environment carries npm_config_* (workspace, local prefix ...)
// that would change what a nested npm packs; the nested one starts clean.
const npmEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

export function readPackageJson(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/**
 * Packs the named packages into destDir in one npm call. With ignoreScripts the existing
 * dist/ is packed as is (the caller built it); without, each package's prepack builds it.
 * Returns { name, short, tarball, files } per package, files as npm listed them.
 */
export function packAll(destDir, { packages = PACKAGES, ignoreScripts = true } = {}) {
  mkdirSync(destDir, { recursive: true });
  const args = ['pack', '--json', '--pack-destination', destDir, ...packages.flatMap((p) => ['-w', `packages/${p}`])];
  if (ignoreScripts) args.push('--ignore-scripts');
  const out = execFileSync(npm, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'], env: npmEnv() });
  const listed = JSON.parse(out.slice(out.indexOf('[')));
  return packages.map((short) => {
    const name = `@quorumkit/${short}`;
    const entry = listed.find((e) => e.name === name);
    if (!entry) throw new Error(`npm pack listed no tarball for ${name}`);
    return { name, short, version: entry.version, tarball: join(destDir, entry.filename), files: entry.files.map((f) => f.path) };
  });
}

/** Unpacks a tarball into dir/package and returns that path. */
export function unpack(tarball, dir) {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  return join(dir, 'package');
}

function walk(dir, base = dir) {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p, base) : [relative(base, p).split('\\').join('/')];
  });
}

/** `import ... from 'x'` / `export ... from 'x'` statements (the clause may span lines). */
const STATIC_FROM = /(?:^|[\s;}])(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']/gm;

/** Bare module names a built ESM file imports (static, dynamic and esbuild's require shim). */
export function bareImports(source) {
  const out = new Set();
  // `from` only as the end of an import/export statement: a string such as 'from' in option
  // parsing code (csp-paxos read --from) is not an import.
  const patterns = [STATIC_FROM, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\b(?:__)?require\s*\(\s*["']([^"']+)["']\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) if (!m[1].startsWith('.') && !m[1].startsWith('/')) out.add(m[1]);
  return [...out];
}

const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

function exportTargets(exp) {
  if (typeof exp === 'string') return [exp];
  if (!exp || typeof exp !== 'object') return [];
  return Object.values(exp).flatMap(exportTargets);
}

function hasDefaultCondition(exp) {
  if (typeof exp === 'string') return true;
  if (!exp || typeof exp !== 'object') return false;
  const keys = Object.keys(exp);
  if (keys.every((k) => k.startsWith('.'))) return keys.every((k) => hasDefaultCondition(exp[k]));
  return 'default' in exp;
}

/**
 * Checks one unpacked tarball. sourceDir is the package's directory in the repository
 * (for `files` entries that name nothing), siblings maps @quorumkit names to versions.
 * Returns a list of problems, each one sentence; empty means publishable.
 */
export function checkTarball(pkgDir, sourceDir, siblings) {
  const problems = [];
  const pkg = readPackageJson(pkgDir);
  const shipped = new Set(walk(pkgDir));
  const has = (p) => shipped.has(posix.normalize(p.replace(/^\.\//, '')));
  const say = (m) => problems.push(`${pkg.name}: ${m}`);

  for (const f of ['LICENSE', 'README.md', 'package.json']) if (!has(f)) say(`tarball has no ${f}`);
  if (!pkg.description || PLACEHOLDER_DESCRIPTION.test(pkg.description)) say(`placeholder description '${pkg.description ?? ''}'`);
  for (const k of ['license', 'repository', 'homepage', 'bugs']) if (!pkg[k]) say(`package.json has no ${k}`);
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) say('package.json has no keywords');
  if (pkg.publishConfig?.access !== 'public') say("publishConfig.access is not 'public' (a scoped package publishes as restricted)");
  if (!pkg.scripts?.prepack) say('no prepack script: a pack from a fresh clone would ship no dist/');
  if (pkg.private) say('package is private');

  const runtime = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
  for (const sect of ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies']) {
    for (const [dep, range] of Object.entries(pkg[sect] ?? {})) {
      if (!dep.startsWith('@quorumkit/')) continue;
      const v = siblings.get(dep);
      if (!/^\^\d+\.\d+\.\d+$/.test(range)) say(`${sect}.${dep} is '${range}', not a caret range of a released version`);
      else if (v && range !== `^${v}` && sect !== 'devDependencies') {
        const [maj, min] = range.slice(1).split('.').map(Number);
        const [vmaj, vmin] = v.split('.').map(Number);
        if (maj !== vmaj || (maj === 0 && min !== vmin)) say(`${sect}.${dep} is '${range}' but the sibling is at ${v}`);
      }
    }
  }

  if (!pkg.exports) say('package.json has no exports');
  else {
    if (!hasDefaultCondition(pkg.exports)) say('exports has no default condition (require() and bundlers without import/types conditions find nothing)');
    for (const t of exportTargets(pkg.exports)) if (!has(t)) say(`exports target ${t} is not in the tarball`);
  }
  for (const k of ['main', 'types']) if (pkg[k] && !has(pkg[k])) say(`${k} ${pkg[k]} is not in the tarball`);
  const bins = typeof pkg.bin === 'string' ? { [pkg.name.split('/')[1]]: pkg.bin } : (pkg.bin ?? {});
  for (const [b, target] of Object.entries(bins)) {
    if (!has(target)) say(`bin ${b} -> ${target} is not in the tarball`);
    else if (!readFileSync(join(pkgDir, target), 'utf8').startsWith('#!/usr/bin/env node')) say(`bin ${b} has no #!/usr/bin/env node line`);
  }
  for (const entry of pkg.files ?? []) {
    if (entry.startsWith('!')) continue;
    if (!existsSync(join(sourceDir, entry))) say(`files names '${entry}', which does not exist`);
  }

  for (const f of shipped) {
    if (/^dist\/bench\//.test(f)) say(`ships ${f} (bench scripts import devDependencies)`);
    if (!/\.(m?js|cjs)$/.test(f)) continue;
    const src = readFileSync(join(pkgDir, f), 'utf8');
    for (const spec of bareImports(src)) {
      if (BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])) continue;
      const dep = packageOf(spec);
      if (dep === pkg.name) continue;
      if (!(dep in runtime)) say(`${f} imports '${spec}', which is not in dependencies${pkg.devDependencies?.[dep] ? ' (only a devDependency)' : ''}`);
    }
    // each relative import of a shipped file must be shipped too
    const localImports = [...src.matchAll(STATIC_FROM), ...src.matchAll(/\bimport\s*\(?\s*["']([^"']+)["']/g)].filter((m) => /^\.{1,2}\//.test(m[1]));
    for (const m of localImports) {
      const target = posix.normalize(posix.join(posix.dirname(f), m[1]));
      if (!shipped.has(target)) say(`${f} imports ${m[1]}, which is not in the tarball`);
    }
  }

  if (has('README.md')) {
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    for (const m of readme.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)|^\[[^\]]+\]:\s*(\S+)/gm)) {
      const link = m[1] ?? m[2];
      if (/^(https?:|mailto:|#)/.test(link)) continue;
      const path = link.split('#')[0];
      if (path.startsWith('..') || path.startsWith('/')) say(`README links ${link}, which leaves the package (broken on the npm page)`);
      else if (!has(path) && !existsSync(join(pkgDir, path))) say(`README links ${link}, which is not in the tarball`);
    }
  }
  return problems;
}

/** Packs (no scripts), unpacks and checks every package; returns { packed, problems, dir }. */
export function packAndCheck(dir, opts = {}) {
  const packed = packAll(join(dir, 'tarballs'), opts);
  const siblings = new Map(packed.map((p) => [p.name, p.version]));
  const problems = [];
  for (const p of packed) {
    p.unpacked = unpack(p.tarball, join(dir, 'unpacked', p.short));
    problems.push(...checkTarball(p.unpacked, join(repoRoot, 'packages', p.short), siblings));
  }
  return { packed, problems, dir };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const keep = process.argv.includes('--keep');
  const dir = mkdtempSync(join(tmpdir(), 'qk-pack-check-'));
  try {
    const { packed, problems } = packAndCheck(dir);
    for (const p of packed) console.log(`${p.name}@${p.version}: ${p.files.length} files`);
    if (problems.length) {
      for (const m of problems) console.error(`pack-check: ${m}`);
      process.exitCode = 1;
    } else console.log(`pack-check: ${packed.length} tarballs ok`);
  } finally {
    if (keep) console.log(`pack-check: tarballs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

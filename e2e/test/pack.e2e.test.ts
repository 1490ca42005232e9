// What a new user gets from npm: every package is packed with `npm pack` (the file
// selection `npm publish` uses), its tarball checked (scripts/pack-check.mjs), then each
// package is installed ALONE into a clean project outside the monorepo with only the
// sibling tarballs it names (third-party dependencies from the npm cache/registry). There
// its API imports (import and require), every bin runs --help (and --version where the
// bin has one), and a consumer file type-checks under tsc --strict with library checks on.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGES, checkTarball, packAndCheck, repoRoot, type Packed } from '../../scripts/pack-check.mjs';

// One runtime export per package: the consumer must see it with its real type.
const SAMPLE: Record<string, string> = {
  'shared-storage': 'crc32', 'shared-transport': 'toBigInt', 'test-harness': 'History', certain: 'CardClient',
  paxoskv: 'PaxosKvClient', rrseq: 'RRSeq', constdb: 'startNode', 'csp-paxos': 'Channel',
};
const INSTALL_TIMEOUT_MS = 150_000;

// npm run / nx set npm_config_* (local prefix, workspace ...) for their children; a nested
// npm must not inherit them, or it would install into the monorepo instead of the consumer.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const run = (cmd: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...cleanEnv, FORCE_COLOR: '0', NO_COLOR: '1' } });
const show = (r: SpawnSyncReturns<string>) => `exit ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`.slice(-4000);

let work = '';
let packed: Packed[] = [];
let problems: string[] = [];
const byShort = new Map<string, Packed>();
const installed: string[] = [];
const lacksVersion: string[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'qk-pack-e2e-'));
  // dist/ is built by the e2e target's dependsOn; prepack (which builds it) is not run here
  // so two nx builds never write one dist at once.
  ({ packed, problems } = packAndCheck(work, { ignoreScripts: true }));
  for (const p of packed) byShort.set(p.short, p);
}, 120_000);

afterAll(() => {
  if (lacksVersion.length) console.log(`pack e2e: bins without --version yet: ${lacksVersion.join(', ')}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The sibling tarballs a package names in dependencies, transitively. */
function siblingsOf(short: string, seen = new Set<string>()): Set<string> {
  const pkg = JSON.parse(readFileSync(join(byShort.get(short)!.unpacked!, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const s = dep.replace(/^@quorumkit\//, '');
    if (dep.startsWith('@quorumkit/') && !seen.has(s)) {
      seen.add(s);
      siblingsOf(s, seen);
    }
  }
  return seen;
}

describe('npm tarballs', () => {
  it('every package packs and passes the release checks', () => {
    expect(packed.map((p) => p.short)).toEqual(PACKAGES);
    expect(problems).toEqual([]);
  });

  it('the checks flag a * range, a devDependency import, dist/bench, a ../ README link and a missing files entry', () => {
    const dir = join(work, 'bad', 'package');
    mkdirSync(join(dir, 'dist', 'bench'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({
      name: '@quorumkit/bad', version: '0.1.0', description: 'quorumkit bad', license: 'MIT', type: 'module',
      exports: { '.': { import: './dist/index.js' } }, files: ['dist', 'proto'],
      dependencies: { '@quorumkit/shared-storage': '*' }, devDependencies: { 'hdr-histogram-js': '^3.0.0' },
    }));
    writeFileSync(join(dir, 'dist', 'index.js'), "import h from 'hdr-histogram-js';\nimport './gone.js';\nexport default h;\n");
    writeFileSync(join(dir, 'dist', 'bench', 'index.js'), '');
    writeFileSync(join(dir, 'README.md'), 'See [the docs](../../docs/x.md).\n');
    const found = checkTarball(dir, dir, new Map([['@quorumkit/shared-storage', '0.1.0']])).join('\n');
    for (const m of [/no LICENSE/, /placeholder description/, /no repository/, /no keywords/, /publishConfig\.access/, /no prepack/,
      /shared-storage is '\*'/, /no default condition/, /names 'proto', which does not exist/, /ships dist\/bench\/index\.js/,
      /imports 'hdr-histogram-js', which is not in dependencies \(only a devDependency\)/, /imports \.\/gone\.js/, /README links \.\.\/\.\.\/docs/]) {
      expect(found).toMatch(m);
    }
  });

  describe.each(PACKAGES)('%s installed alone in a clean project', (short) => {
    const dir = () => join(work, 'consumers', short);

    it('installs with only the sibling tarballs it names', () => {
      const p = byShort.get(short)!;
      mkdirSync(dir(), { recursive: true });
      writeFileSync(join(dir(), 'package.json'), JSON.stringify({ name: `consumer-of-${short}`, version: '1.0.0', private: true, type: 'module' }));
      const tarballs = [p.tarball, ...[...siblingsOf(short)].map((s) => byShort.get(s)!.tarball)];
      const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', ...tarballs, '@types/node@^20.19.0'], dir(), INSTALL_TIMEOUT_MS);
      expect(r.status, show(r)).toBe(0);
      const got = JSON.parse(readFileSync(join(dir(), 'node_modules', '@quorumkit', short, 'package.json'), 'utf8'));
      expect(got.version).toBe(p.version);
      installed.push(short);
    }, INSTALL_TIMEOUT_MS + 10_000);

    it('imports its API with import and with require', () => {
      const name = `@quorumkit/${short}`;
      const sample = SAMPLE[short]!;
      const esm = run(process.execPath, ['--input-type=module', '-e',
        `const m = await import('${name}'); const n = Object.keys(m); if (typeof m.${sample} !== 'function') throw new Error('no ${sample}'); console.log(n.length);`], dir());
      expect(esm.status, show(esm)).toBe(0);
      expect(Number(esm.stdout.trim())).toBeGreaterThan(0);
      // Node >= 20.19 loads ESM through require(); that needs the exports' default condition.
      const cjs = run(process.execPath, ['--no-warnings', '-e', `const m = require('${name}'); if (typeof m.${sample} !== 'function') throw new Error('no ${sample}');`], dir());
      expect(cjs.status, show(cjs)).toBe(0);
    });

    it('links every bin, and each prints --help', () => {
      const pkg = JSON.parse(readFileSync(join(dir(), 'node_modules', '@quorumkit', short, 'package.json'), 'utf8'));
      for (const bin of Object.keys(pkg.bin ?? {})) {
        const link = join(dir(), 'node_modules', '.bin', bin);
        expect(existsSync(link), `${bin} not linked`).toBe(true);
        const file = realpathSync(link);
        const help = run(process.execPath, [file, '--help'], dir());
        expect(help.status, `${bin} --help: ${show(help)}`).toBe(0);
        expect(help.stdout, bin).toMatch(/usage/i);
        const version = run(process.execPath, [file, '--version'], dir());
        if (version.status === 0) expect(version.stdout.trim(), `${bin} --version`).toContain(pkg.version);
        else lacksVersion.push(bin);
      }
    });
  });

  it('a consumer of each package type-checks under tsc --strict, library declarations included', () => {
    expect(installed).toEqual(PACKAGES);
    const files: string[] = [];
    for (const short of PACKAGES) {
      const sample = SAMPLE[short]!;
      const f = join(work, 'consumers', short, 'consumer.ts');
      writeFileSync(f, [
        `import * as api from '@quorumkit/${short}';`,
        `import { ${sample} } from '@quorumkit/${short}';`,
        'export const exported: string[] = Object.keys(api);',
        `export type Sample = typeof ${sample};`,
        '// the export has a real type, not any: a wrong use must be refused',
        '// @ts-expect-error a function is not a number',
        `export const wrong: number = ${sample};`,
        '',
      ].join('\n'));
      files.push(f);
    }
    // One program over all consumers (each file resolves @quorumkit/* from its own
    // node_modules); tsc shares identical third-party declarations, so this is one check, not eight.
    const tsconfig = join(work, 'consumers', 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: false,
        types: ['node'], typeRoots: [join(work, 'consumers', PACKAGES[0]!, 'node_modules', '@types')],
      },
      files,
    }));
    const tsc = createRequire(join(repoRoot, 'package.json')).resolve('typescript/bin/tsc');
    const r = run(process.execPath, [tsc, '-p', tsconfig], work, 170_000);
    expect(r.status, show(r)).toBe(0);
  }, 180_000);
});

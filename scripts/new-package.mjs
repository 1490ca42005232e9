// One-off scaffolder kept for adding packages later: writes the files every package shares.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name, description, deps = ''] = process.argv.slice(2);
if (!dir || !name || !description) {
  console.error('usage: node scripts/new-package.mjs DIR NAME DESCRIPTION [dep,dep]');
  process.exit(1);
}
const depth = dir.split('/').length;
const up = '../'.repeat(depth);
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const dependencies = Object.fromEntries(deps.split(',').filter(Boolean).map((d) => [d, d.startsWith('@quorumkit/') ? '*' : 'latest']));
const write = (f, s) => { if (!existsSync(join(dir, f))) writeFileSync(join(dir, f), s); };
write('package.json', JSON.stringify({
  name, version: '0.1.0', description, type: 'module', license: 'MIT',
  engines: { node: '>=20.19' },
  main: './dist/index.js', types: './dist/index.d.ts',
  exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
  files: ['dist', 'proto', 'README.md'],
  scripts: {
    build: 'tsup', typecheck: 'tsc --noEmit -p tsconfig.json', lint: 'eslint .', test: 'vitest run',
  },
  dependencies,
}, null, 2) + '\n');
write('tsconfig.json', JSON.stringify({ extends: `${up}tsconfig.base.json`, compilerOptions: { noEmit: true }, include: ['src', 'test', 'bench', '*.ts'] }, null, 2) + '\n');
write('tsup.config.ts', `import { packageBuild } from '${up}tsup.shared';

export default packageBuild({ index: 'src/index.ts' });
`);
write('vitest.config.ts', `import { packageTestConfig } from '${up}vitest.shared';

export default packageTestConfig();
`);

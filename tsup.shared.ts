// One build recipe for every package: ESM for Node 20, .d.ts for the public entry only,
// sibling @quorumkit packages left external (resolved through node_modules at run time).
// Named entries keep dist/index.js, dist/cli/<name>.js and dist/bench/index.js at fixed paths.
import { defineConfig, type Options } from 'tsup';

export function packageBuild(entry: Record<string, string>, extra: Pick<Options, 'external'> = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: { entry: { index: entry.index ?? 'src/index.ts' }, compilerOptions: { paths: {}, noEmit: false } },
    sourcemap: true,
    clean: true,
    external: [/^@quorumkit\//, ...(extra.external ?? [])],
  });
}

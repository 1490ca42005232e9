// One build recipe for every package: ESM for Node 20, .d.ts for the public entry only,
// sibling @quorumkit packages left external (resolved through node_modules at run time).
// Named entries keep dist/index.js, dist/cli/<name>.js and dist/bench/<name>.js at fixed paths.
//
// The bench entries are a second build into dist/bench: bench code imports the test harness
// (a devDependency), and in one build esbuild may put code shared by two bench entries into a
// dist/chunk-*.js that ships in the tarball ("!dist/bench" keeps only dist/bench out).
import { defineConfig, type Options } from 'tsup';

const BENCH = 'bench/';

export function packageBuild(entry: Record<string, string>, extra: Pick<Options, 'external'> = {}) {
  const common: Options = {
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    external: [/^@quorumkit\//, ...(extra.external ?? [])],
  };
  const pick = (bench: boolean) =>
    Object.fromEntries(Object.entries(entry).filter(([name]) => name.startsWith(BENCH) === bench));
  const shipped = pick(false);
  const bench = Object.fromEntries(Object.entries(pick(true)).map(([name, file]) => [name.slice(BENCH.length), file]));
  const builds: Options[] = [
    {
      ...common,
      entry: shipped,
      dts: { entry: { index: entry.index ?? 'src/index.ts' }, compilerOptions: { paths: {}, noEmit: false } },
      // Leave dist/bench to the second build, which runs at the same time.
      clean: ['!bench/**'],
    },
  ];
  if (Object.keys(bench).length > 0) builds.push({ ...common, entry: bench, outDir: 'dist/bench', dts: false, clean: true });
  return defineConfig(builds);
}

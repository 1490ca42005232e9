// Profile the card data path: 3 card-srv processes under --cpu-prof and this process (the
// client, profiled through node:inspector) while PROFILE_CLIENTS (64) clients update 1000 cards
// for PROFILE_MS.
// Prints where each process spends its CPU (self time by package / source file and the top
// functions) and why calls failed. node dist/bench/profile.js [outDir]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import type { ChildProcess } from 'node:child_process';
import { CardClient } from '../src/index.js';
import { closedLoop } from './measure.js';
import { benchDirs, cardConf, insertCards, startCardServers, stopGracefully } from './cluster.js';
import { summarizeProfile } from './profileSummary.js';
import { benchTempDir, freePorts } from '@quorumkit/test-harness';

const MS = Number(process.env.PROFILE_MS ?? 20_000);
const CLIENTS = Number(process.env.PROFILE_CLIENTS ?? 64);
const log = (s: string) => process.stderr.write(`${s}\n`);
const outDir = process.argv[2] ?? join(benchDirs.repoRoot, 'bench-results', 'certain-profile');
mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.endsWith('.cpuprofile')) writeFileSync(join(outDir, f), '');

const tmp = benchTempDir('certain-prof');
const ports = await freePorts(6);
const conf = cardConf(tmp.dir, ports);
let children: ChildProcess[] = [];
const session = new Session();
session.connect();
try {
  children = await startCardServers(conf, tmp.dir, (i) => ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-name=srv${i}.cpuprofile`]);
  const clients = Array.from({ length: 8 }, () => new CardClient([`127.0.0.1:${ports[3]}`]));
  const ids = Array.from({ length: 1000 }, (_, k) => BigInt(100_000 + k));
  await insertCards(clients, ids);
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  let n = 0;
  log(`profiling ${CLIENTS} clients x 1000 cards for ${MS} ms ...`);
  const f = await closedLoop(CLIENTS, MS, async (w) => {
    const r = await clients[w % 8]!.call('UpdateCard', { cardId: ids[n++ % ids.length]!, delta: 1n });
    if (!r.ok) throw new Error(`${r.code}: ${r.msg}`);
  });
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(join(outDir, 'client.cpuprofile'), JSON.stringify(profile));
  for (const c of clients) c.close();
  log(`updates/s ${f.opsPerSec} p50 ${f.p50Ms} ms errors ${f.errors} ${JSON.stringify(f.errorKinds)}`);
} finally {
  session.disconnect();
  await stopGracefully(children);
  tmp.remove();
}
for (const name of ['srv0', 'srv1', 'srv2', 'client']) {
  const file = join(outDir, `${name}.cpuprofile`);
  const text = readFileSync(file, 'utf8');
  if (text.length === 0) {
    log(`${name}: no profile written`);
    continue;
  }
  process.stdout.write(`\n== ${name} ==\n${summarizeProfile(JSON.parse(text))}\n`);
}

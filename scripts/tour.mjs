#!/usr/bin/env node
// The tour: starts a real local cluster of each system on 127.0.0.1 in turn, runs the
// seed's walkthrough against it, prints a summary table and tears everything down.
// Usage: npm start [-- <system> ...]   (systems: certain paxoskv rrseq constdb csp-paxos)
import cliProgress from 'cli-progress';
import { installTeardown, killAll, cleanupTemp, makeTempDir } from './lib/procs.mjs';
import { printTable } from './lib/table.mjs';

const SYSTEMS = ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((s) => !SYSTEMS.includes(s));
if (unknown.length) {
  console.error(`tour: unknown system ${unknown.join(', ')}; choose from ${SYSTEMS.join(', ')}`);
  process.exit(2);
}
const systems = wanted.length ? wanted : SYSTEMS;

installTeardown(() => console.error('\ntour: interrupted, every process stopped and temp data removed'));

const tty = process.stdout.isTTY;
const rows = [];
const all = [];
for (const system of systems) {
  const mod = await import(`./tour/${system}.mjs`);
  for (const scenario of mod.scenarios) all.push({ system, scenario });
}

const bar = tty ? new cliProgress.SingleBar({
  format: ' {bar} {value}/{total} scenarios | {system}: {step}', hideCursor: true, clearOnComplete: true,
}, cliProgress.Presets.shades_classic) : undefined;
bar?.start(all.length, 0, { system: '', step: 'starting' });

for (const [i, { system, scenario }] of all.entries()) {
  const started = Date.now();
  const step = (text) => {
    if (bar) bar.update(i, { system, step: text });
    else console.log(`[${i + 1}/${all.length}] ${system} ${scenario.name}: ${text}`);
  };
  const transcript = [];
  let result = 'pass';
  let detail = '';
  try {
    await scenario.run({ step, dir: makeTempDir(system), show: (line) => transcript.push(line) });
  } catch (err) {
    result = 'FAIL';
    detail = err instanceof Error ? err.message : String(err);
  } finally {
    killAll();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  rows.push({ system, scenario: scenario.name, result, time: `${seconds} s` });
  bar?.update(i + 1, { system, step: result });
  const out = transcript.length ? `\n${transcript.map((l) => `    ${l}`).join('\n')}` : '';
  const msg = `${result === 'pass' ? 'ok  ' : 'FAIL'} ${system} / ${scenario.name} (${seconds} s)${out}${detail ? `\n    ${detail}` : ''}`;
  if (bar) { bar.stop(); console.log(msg); if (i + 1 < all.length) bar.start(all.length, i + 1, { system, step: '' }); }
  else console.log(msg);
}
bar?.stop();
cleanupTemp();

console.log('');
printTable(['system', 'scenario', 'result', 'time'], rows.map((r) => [r.system, r.scenario, r.result, r.time]));
const failed = rows.filter((r) => r.result !== 'pass').length;
console.log(failed ? `\n${failed} scenario(s) failed` : `\nall ${rows.length} scenarios passed`);
process.exit(failed ? 1 : 0);

// csp-paxos tour: the seed's quick test, `run-and-check` (low and high pressure scenarios,
// five real processes each), whose report must say pass for validity and safety.
import { cliPath, freePorts, runCli } from '../lib/procs.mjs';

const cli = cliPath('csp-paxos', 'csp-paxos');

export const scenarios = [{
  name: 'run-and-check, 5 nodes, low + high pressure',
  async run({ step, dir, show }) {
    const ports = await freePorts(5);
    step('running both seed scenarios (5 processes each)');
    const r = await runCli(cli, ['run-and-check', '--ports', ports.join(','), '--log-dir', dir], { timeoutMs: 120_000 });
    const lines = r.output.split('\n').filter((l) => /commits|pass|check|scenario|violation|never|different/i.test(l));
    for (const l of lines) show(l);
    const passes = r.output.split('\n').filter((l) => l.trim() === 'pass').length;
    if (r.code !== 0 || passes < 4) throw new Error(`run-and-check exited ${r.code} with ${passes} pass line(s) (want 4)`);
  },
}];

// csp-paxos tour: the seed's quick test, `run-and-check` (low and high pressure scenarios,
// five real processes each), whose report must say pass for validity and safety; then a
// 3-node cluster where an idempotent proposal is retried on another node (one slot) and the
// committed log is read back with its data.
import { join } from 'node:path';
import { cliPath, freePorts, runCli, startProcess } from '../lib/procs.mjs';

const cli = cliPath('csp-paxos', 'csp-paxos');

export const scenarios = [{
  name: 'run-and-check, 5 nodes, low + high pressure',
  async run({ step, dir, show }) {
    // Explicit peer ports: the default (each client port + 1) is not checked to be free.
    const all = await freePorts(10);
    step('running both seed scenarios (5 processes each)');
    const r = await runCli(cli, ['run-and-check', '--ports', all.slice(0, 5).join(','), '--peer-ports', all.slice(5).join(','), '--log-dir', dir], { timeoutMs: 120_000 });
    const lines = r.output.split('\n').filter((l) => /commits|pass|check|scenario|violation|never|different/i.test(l));
    for (const l of lines) show(l);
    const passes = r.output.split('\n').filter((l) => l.trim() === 'pass').length;
    if (r.code !== 0 || passes < 4) throw new Error(`run-and-check exited ${r.code} with ${passes} pass line(s) (want 4)`);
  },
}, {
  name: 'propose with a client id twice, read the log',
  async run({ step, dir, show }) {
    const all = await freePorts(6);
    const ports = all.slice(0, 3).join(',');
    const peers = all.slice(3).join(',');
    step('starting 3 nodes (client values only)');
    const nodes = [0, 1, 2].map((i) => startProcess(cli, ['node', '-i', String(i), '-n', '3', '--ports', ports, '--peer-ports', peers, '--bootstrap', '--no-generate', '-o', '1', '-t', '60', '--log-dir', dir], { logFile: join(dir, `node${i}.log`) }));
    try {
      await Promise.all(nodes.map((n) => n.waitFor(/listening on/)));
      const propose = async (port) => {
        const r = await runCli(cli, ['propose', 'hello tour', '-n', '1', '--ports', String(port), '--client-id', 'tour', '--seq', '1', '--timeout-ms', '20000'], { timeoutMs: 30_000 });
        show(r.output.trim());
        const m = /committed in seq (\d+)/.exec(r.output);
        if (r.code !== 0 || !m) throw new Error(`propose exited ${r.code}: ${r.output}`);
        return Number(m[1]);
      };
      step('propose "hello tour" as client tour, seq 1, through node 0, then the same retry through node 2');
      const a = await propose(all[0]);
      const b = await propose(all[2]);
      if (a !== b) throw new Error(`the retry committed again: slots ${a} and ${b}`);
      step('read the committed log from node 1');
      const r = await runCli(cli, ['read', '--port', String(all[1]), '--from', '0', '--max', '10'], { timeoutMs: 20_000 });
      for (const l of r.output.trim().split('\n')) show(l);
      const lines = r.output.trim().split('\n').filter((l) => l.includes('"hello tour"'));
      if (r.code !== 0 || lines.length !== 1) throw new Error(`read exited ${r.code} with ${lines.length} line(s) holding the value (want 1)`);
    } finally {
      await Promise.all(nodes.map((n) => n.kill()));
    }
  },
}];

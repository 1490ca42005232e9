// paxoskv tour: three acceptor processes, the seed's set/get example, then the same with
// one acceptor killed (a majority still decides) and after it comes back.
import { join } from 'node:path';
import { cliPath, freePorts, runCli, startProcess } from '../lib/procs.mjs';

const cli = cliPath('paxoskv', 'paxoskv');

async function kv(args, show, expect) {
  const r = await runCli(cli, args, { timeoutMs: 20_000 });
  const line = r.output.trim().split('\n').filter((l) => !l.startsWith('{')).pop() ?? '';
  show(`$ paxoskv ${args.map((a) => (a.includes(',') ? '$ACCEPTORS' : a)).join(' ')}  ->  ${line}`);
  if (r.code !== 0 || !expect.test(line)) throw new Error(`paxoskv ${args.join(' ')} printed "${line}" (exit ${r.code})`);
}

export const scenarios = [{
  name: 'set/get on 3 acceptors, one killed',
  async run({ step, dir, show }) {
    const ports = await freePorts(3);
    const acceptors = ports.map((p) => `127.0.0.1:${p}`).join(',');
    const start = (i) => startProcess(cli, ['serve', '--id', String(i), '--listen', `127.0.0.1:${ports[i]}`, '--data', join(dir, `acceptor${i}`), '--bootstrap', '--peers', acceptors],
      { logFile: join(dir, `acceptor${i}.log`) });
    step('starting 3 acceptors');
    const nodes = ports.map((_, i) => start(i));
    await Promise.all(nodes.map((n) => n.waitFor(/listening on/)));
    step('set/get');
    await kv(['set', 'foo', '5', '--acceptors', acceptors], show, /^written: 5;/);
    await kv(['get', 'foo', '--acceptors', acceptors], show, /^read: {4}5;/);
    await kv(['set', 'foo', '6', '--acceptors', acceptors], show, /^written: 6;/);
    await kv(['get', 'foo', '--acceptors', acceptors], show, /^read: {4}6;/);
    step('kill acceptor 2, write through the majority');
    await nodes[2].kill('SIGKILL');
    show('(acceptor 2 killed with SIGKILL)');
    await kv(['set', 'foo', '7', '--acceptors', acceptors], show, /^written: 7;/);
    step('restart acceptor 2 and read');
    nodes[2] = start(2);
    await nodes[2].waitFor(/listening on/);
    show('(acceptor 2 restarted on its data)');
    await kv(['get', 'foo', '--acceptors', acceptors], show, /^read: {4}7;/);
  },
}];

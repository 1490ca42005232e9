// certain tour: the seed's card walkthrough against three card-srv processes — insert,
// select, update, delete — then recovery: server 0 is stopped, its datadb_0 and logdb_0
// removed, restarted, and the card is read through it.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, freePorts, runCli, startProcess } from '../lib/procs.mjs';

const srv = cliPath('certain', 'card-srv');
const tool = cliPath('certain', 'card-tool');

export const scenarios = [{
  name: 'card walkthrough + recovery of a wiped replica',
  async run({ step, dir, show }) {
    const ports = await freePorts(6);
    const conf = join(dir, 'example.conf');
    writeFileSync(conf, `ServerAddrs = ${ports.slice(0, 3).map((p) => `127.0.0.1:${p}`).join(', ')}\nAcceptorNum = 3\nEnablePreAuth = true\nLocalAcceptFirst = true\n`);
    const card = (i) => `127.0.0.1:${ports[3 + i]}`;
    const start = (i) => startProcess(srv, ['-c', conf, '-p', dir, '-i', String(i), '--card-addr', card(i), '--bootstrap'], { logFile: join(dir, `card_srv_${i}.log`) });
    step('starting 3 card servers');
    const servers = [0, 1, 2].map(start);
    const readyRe = /listen|ready|serving/i;
    await Promise.all(servers.map((s) => s.waitFor(readyRe)));
    const cardTool = async (args, expected) => {
      const r = await runCli(tool, ['-X', card(0), '-Y', card(1), '-Z', card(2), ...args], { timeoutMs: 30_000 });
      const out = r.output.trim();
      show(`$ card_tool -X <srv0> ${args.join(' ')}`);
      for (const l of out.split('\n')) show(`    ${l}`);
      if (out !== expected) throw new Error(`card_tool ${args.join(' ')} printed ${JSON.stringify(out)}, want ${JSON.stringify(expected)}`);
    };
    step('insert / select / update / delete');
    await cardTool(['-o', 'Insert', '-i', '12358', '-n', 'rock', '-u', '20170001', '-b', '200'], 'Done');
    await cardTool(['-o', 'Insert', '-i', '12358', '-n', 'rock', '-u', '20170001', '-b', '200'], 'Failure with error: code(8002) msg(card exists)');
    await cardTool(['-o', 'Select', '-i', '12358'], 'user_name=rock user_id=20170001 balance=200\nDone');
    await cardTool(['-o', 'Update', '-i', '12358', '-d', '10'], 'balance=210\nDone');
    await cardTool(['-o', 'Delete', '-i', '12358'], 'Done');
    await cardTool(['-o', 'Select', '-i', '12358'], 'Failure with error: code(8001) msg(card not exist)');
    step('recovery: wipe server 0');
    await cardTool(['-o', 'Insert', '-i', '12358', '-n', 'rock', '-u', '20170001', '-b', '200'], 'Done');
    await servers[0].kill('SIGTERM');
    rmSync(join(dir, 'datadb_0'), { recursive: true, force: true });
    rmSync(join(dir, 'logdb_0'), { recursive: true, force: true });
    show('(server 0 stopped; rm -rf datadb_0 logdb_0; server 0 restarted)');
    servers[0] = start(0);
    await servers[0].waitFor(readyRe);
    // A replica that lost its disk re-learns from the others before it serves or votes
    // (--bootstrap is ignored: its identity file says the cluster exists).
    await servers[0].waitFor(/recovered: voting again/, 60_000);
    show('(server 0 re-learned from servers 1 and 2: "recovered: voting again")');
    const only0 = await runCli(tool, ['-X', card(0), '-o', 'Select', '-i', '12358'], { timeoutMs: 30_000 });
    show('$ card_tool -X <srv0> -o Select -i 12358');
    for (const l of only0.output.trim().split('\n')) show(`    ${l}`);
    if (only0.output.trim() !== 'user_name=rock user_id=20170001 balance=200\nDone') throw new Error(`select on the wiped server printed ${JSON.stringify(only0.output.trim())}`);
  },
}];

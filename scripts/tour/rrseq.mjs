// rrseq tour: the seed's quickstart — three servers, two clients with different buffers
// streaming IDs while one server is killed and brought back; no ID may appear twice and
// each client's IDs must increase.
import { join } from 'node:path';
import { cliPath, freePorts, sleep, startProcess, waitUntil } from '../lib/procs.mjs';

const server = cliPath('rrseq', 'rrseq-server');
const client = cliPath('rrseq', 'rrseq-client');
const ids = (out) => [...out.matchAll(/^Got: (\d+)$/gm)].map((m) => BigInt(m[1]));

export const scenarios = [{
  name: '3 servers, 2 clients, a server killed',
  async run({ step, dir, show }) {
    const ports = await freePorts(3);
    const addr = (i) => `:${ports[i]}`;
    // Server 0 forms the cluster (--init) once all three are up; on a restart it is a no-op.
    const startServer = (i) => startProcess(server, [...(i === 0 ? ['--init'] : []), addr(i), join(dir, `serv${i + 1}_persist`), ...ports.map((_, j) => addr(j)).filter((_, j) => j !== i)],
      { logFile: join(dir, `server${i}.log`) });
    step('starting 3 servers');
    const servers = ports.map((_, i) => startServer(i));
    await Promise.all(servers.map((s) => s.waitFor(/ready/)));
    await Promise.all(servers.map((s) => s.waitFor(/serving/)));
    show(`$ rrseq-server ${addr(0)} ${dir}/serv1_persist ${addr(1)} ${addr(2)}   (and two more)`);
    step('two clients streaming');
    const clients = [
      startProcess(client, ['myseq', '2', '10', addr(0), addr(1), addr(2)], { logFile: join(dir, 'client0.log') }),
      startProcess(client, ['myseq', '1024', '5', addr(0), addr(1), addr(2)], { logFile: join(dir, 'client1.log') }),
    ];
    show('$ rrseq-client myseq 2 10 ...   and   $ rrseq-client myseq 1024 5 ...');
    await waitUntil(() => clients.every((c) => ids(c.output).length >= 20), 30_000, 'both clients to print 20 IDs');
    step('SIGKILL server 2');
    await servers[2].kill('SIGKILL');
    const before = clients.map((c) => ids(c.output).length);
    await waitUntil(() => clients.every((c, i) => ids(c.output).length >= before[i] + 20), 30_000, 'IDs with one server down');
    show('(server 3 killed: clients keep streaming from the majority)');
    step('restart server 2');
    servers[2] = startServer(2);
    await servers[2].waitFor(/ready/);
    await sleep(500);
    for (const c of clients) await c.kill('SIGINT');
    const streams = clients.map((c) => ids(c.output));
    const all = streams.flat();
    const unique = new Set(all.map(String));
    streams.forEach((s, i) => show(`client ${i}: ${s.length} IDs, first ${s[0]}, last ${s[s.length - 1]}`));
    if (unique.size !== all.length) throw new Error(`duplicate IDs: ${all.length - unique.size}`);
    for (const [i, s] of streams.entries()) {
      for (let k = 1; k < s.length; k++) if (s[k] <= s[k - 1]) throw new Error(`client ${i} went backwards: ${s[k - 1]} then ${s[k]}`);
    }
    show(`${all.length} IDs in all, no duplicate, each client strictly increasing`);
  },
}];

// constdb tour: the seed's "Test" walkthrough with two nodes — INCR on each, MEET, then
// cross-node reads — through redis-cli when it is installed (ioredis otherwise).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, freePorts, startProcess, waitUntil } from '../lib/procs.mjs';

const server = cliPath('constdb', 'constdb-server');
const hasRedisCli = spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
const redis = await makeClient();

async function makeClient() {
  if (hasRedisCli) {
    return async (port, ...args) => {
      const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr || r.stdout}`);
      return r.stdout.trim();
    };
  }
  const { default: Redis } = await import('ioredis');
  const conns = new Map();
  return async (port, cmd, ...args) => {
    if (!conns.has(port)) conns.set(port, new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 }));
    const reply = await conns.get(port).call(cmd, ...args);
    return reply === null ? '' : String(reply);
  };
}

export const scenarios = [{
  name: 'seed walkthrough: 2 nodes, MEET, cross-node reads',
  async run({ step, dir, show }) {
    const ports = await freePorts(2);
    step('starting 2 nodes');
    const nodes = ports.map((port, i) => {
      const d = join(dir, `server${port}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'constdb.toml'), `node_id = ${i + 1}\nnode_alias = "node${i + 1}"\nip = "127.0.0.1"\nport = ${port}\nwork_dir = "${d}"\n`);
      return startProcess(server, [join(d, 'constdb.toml')], { cwd: d, logFile: join(d, 'server.log') });
    });
    await Promise.all(ports.map((port, i) => waitUntil(async () => {
      if (nodes[i].exited) throw new Error(`node ${i + 1} exited: ${nodes[i].output.slice(-300)}`);
      try { return (await redis(port, 'ping')) === 'PONG'; } catch { return false; }
    }, 30_000, `node ${i + 1} to answer PING`)));
    const [a, b] = ports;
    const run = async (port, expect, ...args) => {
      const out = await redis(port, ...args);
      show(`$ redis-cli -p ${port === a ? 'A' : 'B'} ${args.join(' ')}   // ${out}`);
      if (out !== expect) throw new Error(`${args.join(' ')} on ${port} replied ${JSON.stringify(out)}, want ${JSON.stringify(expect)}`);
    };
    const eventually = async (port, expect, ...args) => {
      await waitUntil(async () => (await redis(port, ...args)) === expect, 15_000, `${args.join(' ')} = ${expect}`);
      await run(port, expect, ...args);
    };
    step('walkthrough');
    show(`(node A on ${a}, node B on ${b}${hasRedisCli ? '' : '; redis-cli not installed, using ioredis'})`);
    await run(a, '1', 'incr', 'k1');
    await run(b, '1', 'incr', 'k2');
    const met = await redis(b, 'meet', `127.0.0.1:${a}`);
    show(`$ redis-cli -p B meet 127.0.0.1:A   // ${met}`);
    if (!['1', 'OK'].includes(met)) throw new Error(`MEET replied ${met}`);
    await eventually(a, '1', 'get', 'k2');
    await eventually(b, '1', 'get', 'k1');
    await run(b, '2', 'incr', 'k2');
    await eventually(a, '2', 'get', 'k2');
    // The seed's README shows OK here; HSET replies with the number of new fields, as Redis does.
    await run(a, '1', 'hset', 'h1', 'k1', 'v1');
    await eventually(b, 'v1', 'hget', 'h1', 'k1');
  },
}];

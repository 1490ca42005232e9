// The seed's walkthrough (README, section Test), run with redis-cli against two real nodes
// started from constdb.toml files, with the seed's outputs.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, startCluster, type Cluster } from '@quorumkit/test-harness';
import { CONSTDB_CLI, requireBuilt, which } from './constdbUtil.js';

const redisCli = which('redis-cli');

describe('constdb: the seed walkthrough with redis-cli', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('two nodes, MEET, replicated INCR and HSET', async (ctx) => {
    if (!redisCli) {
      console.log('skipped: redis-cli not installed (Debian package redis-tools)');
      return ctx.skip();
    }
    requireBuilt();
    const [p1, p2] = await freePorts(2);
    const ports = [p1!, p2!];
    const dataDir = mkdtempSync(join(tmpdir(), 'constdb-walk-'));
    // the seed: copy constdb.toml per server and change id, node_alias and port
    for (let i = 0; i < 2; i++) {
      const dir = join(dataDir, `server${ports[i]}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'constdb.toml'), `id = ${i + 1}\nnode_alias = "node${ports[i]}"\nip = "127.0.0.1"\nport = ${ports[i]}\nwork_dir = "${dir}"\nlog_level = "info"\nreplica_heartbeat_frequency = 1\n`);
    }
    cluster = await startCluster({
      nodes: 2,
      dataDir,
      spec: (i) => ({ command: process.execPath, args: [CONSTDB_CLI, 'constdb.toml'], cwd: join(dataDir, `server${ports[i]}`) }),
      readyWhen: /ready on/,
    });
    const cli = (port: number, ...args: string[]) => {
      const r = spawnSync(redisCli, ['-p', String(port), ...args], { encoding: 'utf8', timeout: 30_000 });
      return r.stdout.trim();
    };
    const until = async (port: number, args: string[], want: string) => {
      await cluster!.waitFor(() => cli(port, ...args) === want, { timeoutMs: 20_000, what: `${args.join(' ')} on ${port} = ${want}` });
      return cli(port, ...args);
    };
    expect(cli(p1!, 'incr', 'k1')).toBe('1');
    expect(cli(p2!, 'incr', 'k2')).toBe('1');
    expect(cli(p2!, 'meet', `127.0.0.1:${p1}`)).toBe('1');
    // "wait for some seconds"
    expect(await until(p1!, ['get', 'k2'], '1')).toBe('1');
    expect(await until(p2!, ['get', 'k1'], '1')).toBe('1');
    expect(cli(p2!, 'incr', 'k2')).toBe('2');
    expect(await until(p1!, ['get', 'k2'], '2')).toBe('2');
    // the seed's comment says OK; Redis (and we) answer HSET with the number of new fields
    expect(cli(p1!, 'hset', 'h1', 'k1', 'v1')).toBe('1');
    expect(await until(p2!, ['hget', 'h1', 'k1'], 'v1')).toBe('v1');
    expect(cli(p1!, 'replicas')).toContain(`127.0.0.1:${p2}`);
    expect(cli(p2!, 'info', 'replication')).toMatch(/state=online/);
  });
});

// The anchor: etcd with 3 members on loopback (fsync on), puts through the v3 JSON gateway
// from this Node process over keep-alive connections, all on the leader.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { freePort, killAll, startProcess, tempDir } from './procs.js';

export interface EtcdAnchor {
  put(key: string, value: string): Promise<void>;
  stop(): Promise<void>;
}

export function etcdInstalled(): boolean {
  return spawnSync('etcd', ['--version']).status === 0;
}

function postJson(agent: Agent, port: number, path: string, body: unknown): Promise<Record<string, unknown>> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode === 200) resolve(JSON.parse(text) as Record<string, unknown>);
        else reject(new Error(`etcd ${path}: ${res.statusCode} ${text}`));
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

export async function startEtcdAnchor(): Promise<EtcdAnchor> {
  const tmp = tempDir('etcd');
  const client = await Promise.all([0, 1, 2].map(() => freePort()));
  const peer = await Promise.all([0, 1, 2].map(() => freePort()));
  const cluster = [0, 1, 2].map((i) => `m${i}=http://127.0.0.1:${peer[i]}`).join(',');
  const children: ChildProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  try {
    await Promise.all([0, 1, 2].map(async (i) => {
      children.push(await startProcess('etcd', [
        '--name', `m${i}`, '--data-dir', join(tmp.dir, `m${i}`),
        '--listen-client-urls', `http://127.0.0.1:${client[i]}`, '--advertise-client-urls', `http://127.0.0.1:${client[i]}`,
        '--listen-peer-urls', `http://127.0.0.1:${peer[i]}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer[i]}`,
        '--initial-cluster', cluster, '--initial-cluster-state', 'new',
      ], /serving client|ready to serve/));
    }));
    let leaderPort = 0;
    for (let t = 0; t < 150 && !leaderPort; t++) {
      for (const p of client) {
        const st = await postJson(agent, p!, '/v3/maintenance/status', {}).catch(() => undefined);
        const header = st?.header as { member_id?: string } | undefined;
        if (st && st.leader && header && st.leader === header.member_id) leaderPort = p!;
      }
      if (!leaderPort) await new Promise((r) => setTimeout(r, 200));
    }
    if (!leaderPort) throw new Error('etcd elected no leader');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    return {
      put: async (key, value) => void (await postJson(agent, leaderPort, '/v3/kv/put', { key: b64(key), value: b64(value) })),
      stop: async () => {
        agent.destroy();
        await killAll(children);
        tmp.remove();
      },
    };
  } catch (err) {
    agent.destroy();
    await killAll(children);
    tmp.remove();
    throw err;
  }
}

// The anchor: etcd, 3 members (or `members`) on loopback (fsync on, as etcd always does), puts from this
// same Node process over etcd's v3 JSON gateway with keep-alive connections, all on the leader.
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { freePorts } from '../cluster/freePorts.js';
import { benchTempDir, commandExists, killProcesses, startReadyProcess } from './procs.js';

function post(agent: Agent, port: number, path: string, body: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        let out = '';
        res.on('data', (c: Buffer) => (out += c.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(out)) : reject(new Error(`etcd ${res.statusCode}: ${out}`))));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** etcd is what a user would pick instead of paxoskv or certain: the benches' anchor. */
export function etcdInstalled(): boolean {
  return commandExists('etcd');
}

export interface Etcd {
  put(key: string, value: string): Promise<void>;
  get(key: string): Promise<void>;
  stop(): void;
}

export interface StartEtcdOptions {
  /** Cluster size, 1-7 (default 3): a system benched at 5 nodes compares with 5 members. */
  members?: number;
}

export async function startEtcd(opts: StartEtcdOptions = {}): Promise<Etcd> {
  const m = opts.members ?? 3;
  if (!Number.isInteger(m) || m < 1 || m > 7) throw new RangeError(`startEtcd: members must be an integer 1-7, got ${String(opts.members)}`);
  const tmp = benchTempDir('etcd');
  const ports = await freePorts(2 * m);
  const names = Array.from({ length: m }, (_, i) => `e${i}`);
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[m + i]}`).join(',');
  const children: ChildProcess[] = [];
  try {
    await Promise.all(
      names.map(async (name, i) => {
        const args = [
          '--name', name, '--data-dir', join(tmp.dir, name),
          '--listen-client-urls', `http://127.0.0.1:${ports[i]}`, '--advertise-client-urls', `http://127.0.0.1:${ports[i]}`,
          '--listen-peer-urls', `http://127.0.0.1:${ports[m + i]}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${ports[m + i]}`,
          '--initial-cluster', initial, '--initial-cluster-state', 'new',
        ];
        children.push(await startReadyProcess('etcd', args, /ready to serve client requests|serving client requests/));
      }),
    );
  } catch (e) {
    killProcesses(children);
    tmp.remove();
    throw e;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let leader = 0;
  const deadline = Date.now() + 30_000;
  while (!leader && Date.now() < deadline) {
    for (const p of ports.slice(0, m)) {
      try {
        const st = await post(agent, p!, '/v3/maintenance/status', {});
        if (st.leader && st.header && st.leader === st.header.member_id) leader = p!;
      } catch {
        /* not up yet */
      }
    }
    if (!leader) await new Promise((r) => setTimeout(r, 200));
  }
  if (!leader) {
    killProcesses(children);
    tmp.remove();
    throw new Error('etcd: no leader within 30 s');
  }
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return {
    put: async (key, value) => void (await post(agent, leader, '/v3/kv/put', { key: b64(key), value: b64(value) })),
    get: async (key) => void (await post(agent, leader, '/v3/kv/range', { key: b64(key) })),
    stop() {
      agent.destroy();
      killProcesses(children);
      tmp.remove();
    },
  };
}

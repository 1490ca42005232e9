// TLS across the systems (issue 24). Every CLI's --help says which of the four flags it
// takes (--tls-cert --tls-key --tls-ca --tls-client-auth); a CLI with some but not all of
// them fails. Each system whose server has them is started as a 3-node cluster under mutual
// TLS with certificates made at test time (makeTestPki), and every port it listens on must:
// answer a client with a CA-signed certificate and show that node's certificate; refuse a
// client without a certificate, one signed by another CA, and a plaintext one. A round trip
// through the system's own client CLI (or RESP for constdb) crosses the peer links, and a
// SIGHUP after the certificate files are replaced makes new connections see the new serial.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { makeTestPki, opensslAvailable, waitFor, type Cluster, type TestCert, type TestPki } from '@quorumkit/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addr, cli, run, SERVERS, startThree, type ServerSpec } from './systemServers.js';
const FLAGS = ['--tls-cert', '--tls-key', '--tls-ca', '--tls-client-auth'] as const;

/** Which of the four flags `node script ...help` lists. */
function tlsFlagsOf(script: string, helpArgs: string[]): string[] {
  const r = spawnSync(process.execPath, [script, ...helpArgs], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${script} ${helpArgs.join(' ')} exited ${r.status}: ${r.stderr}`);
  // declared options only: a line of the options list starts with the flag (descriptions may name others)
  return FLAGS.filter((f) => new RegExp(`^\\s+(?:-\\w, )?${f}\\b(?!-)`, 'm').test(r.stdout));
}

type Endpoint = { port: number; kind: 'grpc' | 'resp' | 'csp' };
type Identity = 'good' | 'none' | 'stranger' | 'plaintext';

interface Pki extends TestPki {
  nodes: TestCert[];
  next: TestCert;
}

interface SystemSpec extends ServerSpec {
  clients: { name: string; script: string; help: string[] }[];
  endpoints(ports: number[]): Endpoint[];
  /** crosses the peer links; client CLI args get `tls` appended */
  roundTrip?(ports: number[][], tls: string[], pki: Pki, cluster: Cluster): Promise<void>;
}

const SYSTEMS: SystemSpec[] = [
  {
    ...SERVERS['certain'],
    clients: [{ name: 'card-tool', script: cli('certain', 'card-tool'), help: ['--help'] }],
    endpoints: (p) => [{ port: p[0]!, kind: 'grpc' }, { port: p[1]!, kind: 'grpc' }],
    async roundTrip(ports, tls) {
      const x = ['-X', addr(ports[0]![1]!), '-Y', addr(ports[1]![1]!), '-Z', addr(ports[2]![1]!)];
      const ins = run(cli('certain', 'card-tool'), [...x, '-o', 'Insert', '-i', '4242', '-n', 'tls', '-u', '7', '-b', '100', ...tls]);
      expect(ins.code, ins.out).toBe(0);
      const sel = run(cli('certain', 'card-tool'), [...x, '-o', 'Select', '-i', '4242', ...tls]);
      expect(sel.out).toMatch(/balance=100/);
    },
  },
  {
    ...SERVERS['paxoskv'],
    clients: [
      { name: 'paxoskv set', script: cli('paxoskv', 'paxoskv'), help: ['set', '--help'] },
      { name: 'paxoskv get', script: cli('paxoskv', 'paxoskv'), help: ['get', '--help'] },
    ],
    endpoints: (p) => [{ port: p[0]!, kind: 'grpc' }],
    async roundTrip(ports, tls) {
      const acceptors = ports.map((p) => addr(p[0]!)).join(',');
      const set = run(cli('paxoskv', 'paxoskv'), ['set', 'tlskey', '5', '--acceptors', acceptors, ...tls]);
      expect(set.out).toMatch(/^written: 5;/m);
      const get = run(cli('paxoskv', 'paxoskv'), ['get', 'tlskey', '--acceptors', acceptors, ...tls]);
      expect(get.out).toMatch(/^read: {4}5;/m);
    },
  },
  {
    ...SERVERS['rrseq'],
    clients: [
      { name: 'rrseq-client', script: cli('rrseq', 'rrseq-client'), help: ['--help'] },
      { name: 'rrseq-admin status', script: cli('rrseq', 'rrseq-admin'), help: ['status', '--help'] },
    ],
    endpoints: (p) => [{ port: p[0]!, kind: 'grpc' }],
    async roundTrip(ports, tls, _pki, cluster) {
      // --init on server 0 makes every server a member over the peer links
      await cluster.waitFor(() => [0, 1, 2].every((i) => /^serving$/m.test(cluster.output(i))), { timeoutMs: 60_000, what: 'every rrseq server to print serving' });
      for (const p of ports) expect(run(cli('rrseq', 'rrseq-admin'), ['status', addr(p[0]!), ...tls], 40_000).out).toMatch(/^ok: /m);
    },
  },
  {
    ...SERVERS['constdb'],
    clients: [],
    endpoints: (p) => [{ port: p[0]!, kind: 'resp' }],
    async roundTrip(ports, _tls, pki) {
      // MEET makes nodes 2 and 3 dial node 1's replication link: over mTLS, with their own certificates
      for (const i of [1, 2]) expect(await ask({ port: ports[i]![0]!, kind: 'resp' }, 'good', pki, ['MEET', addr(ports[0]![0]!)])).toMatch(/^(OK|1)$/);
      expect(await ask({ port: ports[0]![0]!, kind: 'resp' }, 'good', pki, ['SET', 'tlskey', 'v1'])).toBe('OK');
      await waitFor(async () => (await ask({ port: ports[2]![0]!, kind: 'resp' }, 'good', pki, ['GET', 'tlskey'])) === 'v1', {
        timeoutMs: 60_000, intervalMs: 300, what: 'a SET on node 1 to replicate to node 3 over mTLS',
      });
    },
  },
  {
    ...SERVERS['csp-paxos'],
    clients: [
      { name: 'csp-paxos propose', script: cli('csp-paxos', 'csp-paxos'), help: ['propose', '--help'] },
      { name: 'csp-paxos status', script: cli('csp-paxos', 'csp-paxos'), help: ['status', '--help'] },
    ],
    endpoints: (p) => [{ port: p[0]!, kind: 'csp' }, { port: p[1]!, kind: 'csp' }],
    async roundTrip(ports, tls) {
      const r = run(cli('csp-paxos', 'csp-paxos'), ['propose', 'over tls', '-n', '1', '--ports', String(ports[1]![0]), '--timeout-ms', '20000', ...tls]);
      expect(r.out).toMatch(/committed in seq \d+/);
    },
  },
];

/** TLS options for one identity: who the probe pretends to be. */
function tlsFor(id: Identity, pki: Pki): { ca: Buffer; cert?: Buffer; key?: Buffer } {
  const ca = readFileSync(pki.ca.cert);
  if (id === 'good') return { ca, cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key) };
  if (id === 'stranger') return { ca, cert: readFileSync(pki.stranger.cert), key: readFileSync(pki.stranger.key) };
  return { ca };
}

/** One request on an endpoint as `id`; resolves with the answer, rejects when refused (bounded). */
async function ask(ep: Endpoint, id: Identity, pki: Pki, resp: string[] = ['PING']): Promise<string> {
  if (ep.kind === 'grpc') {
    const t = tlsFor(id, pki);
    const creds = id === 'plaintext' ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(t.ca, t.key ?? null, t.cert ?? null);
    const Health = grpc.makeGenericClientConstructor(
      { Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } },
      'Health',
    );
    const c = new Health(addr(ep.port), creds, { 'grpc.use_local_subchannel_pool': 1 });
    try {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        (c as unknown as { Check: (r: Buffer, o: grpc.CallOptions, cb: (e: Error | null, b?: Buffer) => void) => void }).Check(
          Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (e, b) => (e ? reject(e) : resolve(b!)),
        ),
      );
      return `health ${reply.length >= 2 ? reply[1] : 0}`;
    } finally {
      c.close();
    }
  }
  const payload = ep.kind === 'resp'
    ? Buffer.from(`*${resp.length}\r\n${resp.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
    : (() => {
        const body = Buffer.from(JSON.stringify({ c: 'status', id: 1 }));
        const head = Buffer.alloc(4);
        head.writeUInt32BE(body.length, 0);
        return Buffer.concat([head, body]);
      })();
  return new Promise<string>((resolve, reject) => {
    let s: Socket;
    const onReady = (): void => void s.write(payload);
    if (id === 'plaintext') s = netConnect({ host: '127.0.0.1', port: ep.port }, onReady);
    else s = tlsConnect({ host: '127.0.0.1', port: ep.port, ...tlsFor(id, pki) }, onReady);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error('no answer within 10 s')), 10_000);
    const done = (err: Error | null, v?: string): void => {
      clearTimeout(timer);
      s.destroy();
      if (err) reject(err);
      else resolve(v!);
    };
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (ep.kind === 'csp') {
        if (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) done(null, got.subarray(4, 4 + got.readUInt32BE(0)).toString());
      } else {
        const m = /^[+:-](.*)\r\n|^\$-1\r\n|^\$\d+\r\n(.*)\r\n/.exec(got.toString());
        if (m) done(null, m[1] ?? m[2] ?? '(nil)');
      }
    });
    s.on('error', (e) => done(e));
    s.on('close', () => done(new Error('closed without an answer')));
  });
}

/** The serial of the certificate the endpoint shows a new connection with a good client certificate. */
function servedSerial(ep: Endpoint, pki: Pki): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: ep.port, ...tlsFor('good', pki), ...(ep.kind === 'grpc' ? { ALPNProtocols: ['h2'] } : {}) }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.destroy();
    });
    s.setTimeout(10_000, () => {
      s.destroy();
      reject(new Error('no handshake within 10 s'));
    });
    s.on('error', reject);
  });
}

const haveOpenssl = opensslAvailable();
const flags = new Map<string, string[]>();
for (const s of SYSTEMS) {
  flags.set(s.system, tlsFlagsOf(s.server.script, s.server.help));
  for (const c of s.clients) flags.set(c.name, tlsFlagsOf(c.script, c.help));
}
const withTls = SYSTEMS.filter((s) => flags.get(s.system)!.length === FLAGS.length);
console.log(
  `tls.e2e: TLS flags per CLI: ${[...flags].map(([n, f]) => `${n}=${f.length ? f.join(',') : 'none'}`).join('; ')}\n` +
    `tls.e2e: systems run under mTLS: ${withTls.map((s) => s.system).join(', ') || 'none yet'}`,
);

describe('TLS flags', () => {
  it('every CLI takes all four flags or none (dial-only clients: all but --tls-client-auth, or none)', () => {
    for (const s of SYSTEMS) {
      const server = flags.get(s.system)!;
      expect([0, 4], `${s.system} server flags: ${server.join(',')}`).toContain(server.length);
      for (const c of s.clients) {
        const got = flags.get(c.name)!;
        expect([[], ['--tls-cert', '--tls-key', '--tls-ca'], [...FLAGS]].map((x) => x.join(',')), `${c.name} flags: ${got.join(',')}`).toContain(got.join(','));
      }
    }
  });
});

if (!haveOpenssl) console.warn('tls.e2e: skipping the mTLS clusters: the openssl CLI is not on PATH to make test certificates');

// Only systems whose server CLI has the flags get a test (the list is printed above).
if (withTls.length > 0) describe.skipIf(!haveOpenssl)('systems under mutual TLS', () => {
  let pki: Pki;
  beforeAll(async () => {
    const base = await makeTestPki();
    const nodes = await Promise.all([0, 1, 2].map((i) => base.ca.issue(`node${i}`)));
    pki = { ...base, nodes, next: await base.ca.issue('node0-next') };
  });
  afterAll(() => pki?.remove());

  for (const spec of withTls) {
    it(`${spec.system}: every port serves CA-signed peers only, a round trip crosses the peer links, SIGHUP reloads`, async () => {
      // each node serves from its own copy of its files, which the reload step overwrites
      const live = [0, 1, 2].map((i) => ({ cert: join(pki.dir, `${spec.system}-${i}.crt`), key: join(pki.dir, `${spec.system}-${i}.key`) }));
      live.forEach((l, i) => (copyFileSync(pki.nodes[i]!.cert, l.cert), copyFileSync(pki.nodes[i]!.key, l.key)));
      const serverTls = (i: number): string[] => ['--tls-cert', live[i]!.cert, '--tls-key', live[i]!.key, '--tls-ca', pki.ca.cert, '--tls-client-auth'];
      const { cluster, ports, stop } = await startThree(spec, 'tls', serverTls);
      try {
        for (let i = 0; i < 3; i++) {
          for (const ep of spec.endpoints(ports[i]!)) {
            await expect(ask(ep, 'good', pki), `node ${i} port ${ep.port}`).resolves.toBeTypeOf('string');
            expect(await servedSerial(ep, pki)).toBe(pki.nodes[i]!.serial);
          }
        }
        for (const ep of spec.endpoints(ports[0]!)) {
          for (const id of ['none', 'stranger', 'plaintext'] as const) await expect(ask(ep, id, pki), `${id} on port ${ep.port}`).rejects.toThrow();
        }
        const clientTls = ['--tls-cert', pki.client.cert, '--tls-key', pki.client.key, '--tls-ca', pki.ca.cert];
        const clientsReady = spec.clients.every((c) => flags.get(c.name)!.length >= 3);
        if (spec.roundTrip && (clientsReady || spec.clients.length === 0)) await spec.roundTrip(ports, clientTls, pki, cluster);
        else console.log(`tls.e2e: ${spec.system}: its client CLIs lack the TLS flags, so no round trip through them`);

        copyFileSync(pki.next.cert, live[0]!.cert);
        copyFileSync(pki.next.key, live[0]!.key);
        process.kill(cluster.pid(0)!, 'SIGHUP');
        for (const ep of spec.endpoints(ports[0]!)) {
          await waitFor(async () => (await servedSerial(ep, pki)) === pki.next.serial, { timeoutMs: 20_000, intervalMs: 200, what: `node 0 port ${ep.port} to show the reloaded certificate` });
          await expect(ask(ep, 'good', pki)).resolves.toBeTypeOf('string');
        }
        expect(cluster.isUp(0)).toBe(true);
      } finally {
        await stop();
      }
    });
  }
});

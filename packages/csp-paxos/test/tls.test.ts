// TLS on every csp-paxos link (issue 24), through the shared-transport TLS API: 3 nodes under
// mutual TLS commit values proposed by a client holding a certificate of the cluster CA (the
// accept/decide traffic crosses the TLS peer links, each node dialling with its own
// certificate). A plaintext client, one without a certificate and one whose certificate
// another CA signed are refused in the handshake and commit nothing. The CLI turns bad TLS
// flags into one `Error: ETLSCONFIG|ETLSFILE` line and exit 2 before anything listens.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TlsReloader } from '@quorumkit/shared-transport';
import { type TestPki, makeTestPki, opensslAvailable, waitFor } from '@quorumkit/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeConnection, nodeStatus, propose } from '../src/client/client.js';
import { checkDir } from '../src/cli/checkDir.js';
import { localCommittee, localNodes } from './helpers/localNodes.js';

const CLI = fileURLToPath(new URL('../dist/cli/csp-paxos.js', import.meta.url));
const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.log('test/tls.test.ts: openssl is not installed; the mTLS cases need it to make certificates');

const SECRET = Buffer.from('a shared secret of the tls test cluster');
let pki: TestPki | undefined;
beforeAll(async () => {
  if (haveOpenssl) pki = await makeTestPki();
}, 60_000);
afterAll(() => pki?.remove());

const nodes = localNodes();

describe.runIf(haveOpenssl)('csp-paxos over mTLS', () => {
  it('3 nodes commit over mTLS peer links; plaintext, certificate-less and stranger clients are refused and change nothing', async () => {
    const p = pki!;
    const { ports, committee, logDir } = await localCommittee(3, 'csp-paxos-tls-');
    try {
      // each node its own reloader, as each process has one
      const started = await Promise.all([0, 1, 2].map((id) => nodes.start({
        id, committee, logDir, bootstrap: true, secret: SECRET,
        tls: new TlsReloader({ cert: p.server.cert, key: p.server.key, ca: p.ca.cert, requireClientCert: true }),
        core: { generate: false, timeoutMs: 600, retryMs: 50, interval: 1_000_000 },
      })));
      const good = { cert: p.client.cert, key: p.client.key, ca: p.ca.cert };
      const slots: number[] = [];
      for (let k = 0; k < 3; k++) slots.push(await propose(`tls${k}`, { ports: [ports[k]!], timeoutMs: 30_000, tls: good }));
      expect(slots).toEqual([0, 1, 2]);
      // every node learns every slot: the decisions reached the others over the TLS peer links
      await waitFor(() => started.every((n) => n.statusSnapshot().commitIndex >= 3), { timeoutMs: 30_000, what: 'every node commits the 3 values' });
      const c = await NodeConnection.open(ports[2]!, undefined, undefined, good);
      try {
        expect((await c.read(0)).entries.map((e) => e.data)).toEqual(['tls0', 'tls1', 'tls2']);
      } finally {
        c.close();
      }

      const before = started.map((n) => n.statusSnapshot().commitIndex);
      const refusedBefore = started[0]!.transportStats().tlsRefused;
      await expect(propose('plain', { ports: [ports[0]!], timeoutMs: 2_000 })).rejects.toThrow();
      await expect(propose('nocert', { ports: [ports[0]!], timeoutMs: 2_000, tls: { ca: p.ca.cert } })).rejects.toThrow();
      await expect(propose('stranger', { ports: [ports[0]!], timeoutMs: 2_000, tls: { cert: p.stranger.cert, key: p.stranger.key, ca: p.ca.cert } })).rejects.toThrow();
      expect(started[0]!.transportStats().tlsRefused).toBeGreaterThan(refusedBefore);
      await new Promise((r) => setTimeout(r, 300));
      expect(started.map((n) => n.statusSnapshot().commitIndex)).toEqual(before);

      await nodes.stopAll();
      for (let i = 0; i < 3; i++) {
        const log = readFileSync(join(logDir, `instancelog${i}.log`), 'utf8');
        for (const bad of ['plain', 'nocert', 'stranger']) expect(log).not.toContain(bad);
      }
      expect(checkDir(logDir, 3).ok).toBe(true);
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.runIf(haveOpenssl)('csp-paxos run over mTLS', () => {
  it('run with the TLS flags starts TLS nodes: they commit, answer a client of the CA and refuse a plaintext one', async () => {
    const p = pki!;
    const { ports, committee, logDir } = await localCommittee(3, 'csp-paxos-tls-run-');
    const peerPorts = committee.map((m) => m.peerPort!);
    const child = spawn(process.execPath, [CLI, 'run', '-n', '3', '-o', '1', '-t', '4', '--ports', ports.join(','), '--peer-ports', peerPorts.join(','), '--log-dir', logDir, '--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-ca', p.ca.cert, '--tls-client-auth'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const good = { cert: p.client.cert, key: p.client.key, ca: p.ca.cert };
      // The run's nodes answer a client of the CA over TLS ...
      await waitFor(async () => (await nodeStatus(ports[1]!, undefined, good).then((s) => s.commitIndex > 0, () => false)), { timeoutMs: 60_000, what: 'a TLS node of the run commits' });
      // ... and refuse a plaintext one (the TLS handshake never happens).
      await expect(nodeStatus(ports[1]!)).rejects.toThrow();
      expect(await exited, output).toBe(0);
      const r = checkDir(logDir, 3);
      expect(r.ok, r.report).toBe(true);
      expect(r.report).not.toMatch(/commits 0 times/);
    } finally {
      child.kill('SIGKILL');
      rmSync(logDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('csp-paxos TLS flags', () => {
  it('bad combinations and unreadable files: one Error: line with the code, exit 2, nothing started', () => {
    expect(existsSync(CLI)).toBe(true);
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
    const noCert = run(['node', '-i', '0', '-n', '1', '--tls-key', '/nonexistent.key', '--log-dir', '/nonexistent-dir']);
    expect(noCert.status).toBe(2);
    expect(noCert.stderr.trim()).toMatch(/^Error: ETLSCONFIG: --tls-key needs --tls-cert$/);
    const missing = run(['node', '-i', '0', '-n', '1', '--tls-cert', '/nonexistent.crt', '--tls-key', '/nonexistent.key']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^Error: ETLSFILE: .*\/nonexistent/);
    // a client command has no --tls-client-auth: the CLI convention's unknown-option line (+ usage)
    const clientAuthOnClient = run(['status', '-n', '1', '--tls-client-auth']);
    expect(clientAuthOnClient.status).toBe(2);
    expect(clientAuthOnClient.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(clientAuthOnClient.stderr).toMatch(/^Error: .*--tls-client-auth/);
    const badCa = run(['propose', 'x', '-n', '1', '--tls-ca', '/nonexistent-ca.crt']);
    expect(badCa.status).toBe(2);
    expect(badCa.stderr.trim()).toMatch(/^Error: ETLSFILE: .*nonexistent-ca/);
  }, 120_000);
});

// TLS on the acceptors and their clients (issue 24, paxoskv part), through the shared-transport
// TLS API: mTLS acceptors serve a client holding a certificate of the cluster CA, refuse a
// plaintext client and one whose certificate another CA signed, and a wiped acceptor re-learns
// from its peers over the same mTLS (its own certificate is its client certificate). The CLI
// turns bad TLS flags into one ETLSCONFIG/ETLSFILE line and exit 2 before any call.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsReloader } from '@quorumkit/shared-transport';
import { type TestPki, freePorts, makeTestPki, opensslAvailable, waitFor } from '@quorumkit/test-harness';
import { type AcceptorServer, PaxosKvClient, serveAcceptors, startAcceptor } from '../src/index.js';

const CLI = fileURLToPath(new URL('../dist/cli/paxoskv.js', import.meta.url));
const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.log('test/tls.test.ts: openssl is not installed; the TLS cases need it to make certificates');

let pki: TestPki | undefined;
let root = '';
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'paxoskv-tls-'));
  if (haveOpenssl) pki = await makeTestPki();
}, 60_000);
afterAll(() => {
  pki?.remove();
  rmSync(root, { recursive: true, force: true });
});

describe.runIf(haveOpenssl)('paxoskv over mTLS', () => {
  it('serves a client of the cluster CA, refuses plaintext and a stranger, and recovers over mTLS', async () => {
    const p = pki!;
    const tls = new TlsReloader({ cert: p.server.cert, key: p.server.key, ca: p.ca.cert, requireClientCert: true });
    let servers: AcceptorServer[] = await serveAcceptors(3, { basePort: 0, data: join(root, 'mtls'), tls });
    const clients: PaxosKvClient[] = [];
    try {
      const addrs = servers.map((s) => s.address);
      const good = new PaxosKvClient({ acceptors: addrs, deadlineMs: 60_000, phaseTimeoutMs: 20_000, link: { tls: { cert: p.client.cert, key: p.client.key, ca: p.ca.cert } } });
      clients.push(good);
      expect(await good.set('k', 'over tls')).toMatchObject({ ver: 0n, written: true });
      expect((await good.get('k'))!.value).toBe('over tls');
      const plain = new PaxosKvClient({ acceptors: addrs, deadlineMs: 2_000, phaseTimeoutMs: 1_000 });
      const stranger = new PaxosKvClient({ acceptors: addrs, deadlineMs: 2_000, phaseTimeoutMs: 1_000, link: { tls: { cert: p.stranger.cert, key: p.stranger.key, ca: p.ca.cert } } });
      clients.push(plain, stranger);
      await expect(plain.set('k', 'plain')).rejects.toThrow(/no quorum/);
      await expect(stranger.set('k', 'stranger')).rejects.toThrow(/no quorum/);
      // acceptor 0 loses its disk: it re-learns from 1 and 2, dialling them with its own certificate
      await servers[0]!.close();
      rmSync(join(root, 'mtls', 'acceptor0'), { recursive: true, force: true });
      const a0 = await startAcceptor({ id: 0, address: addrs[0], data: join(root, 'mtls', 'acceptor0'), peers: addrs, tls });
      servers = [a0, ...servers.slice(1)];
      await a0.recovered;
      expect(a0.mode()).toBe('voting');
      expect(new TextDecoder().decode((await a0.store.read({ key: 'k', ver: 0n })).val!.bytes)).toBe('over tls');
    } finally {
      clients.forEach((c) => c.close());
      await Promise.allSettled(servers.map((s) => s.close()));
    }
  }, 120_000);

  it('the CLI: serve --tls-* and set/get with the client certificate', async () => {
    const p = pki!;
    const [port] = await freePorts(1);
    const addr = `127.0.0.1:${port}`;
    const tlsServe = ['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-ca', p.ca.cert, '--tls-client-auth'];
    const child = spawn(process.execPath, [CLI, 'serve', '--id', '0', '--members', '1', '--listen', addr, '--data', join(root, 'cli0'), '--bootstrap', ...tlsServe], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await waitFor(() => /listening on/.test(out), { timeoutMs: 30_000, what: 'acceptor listening' });
      const tlsClient = ['--acceptors', addr, '--tls-cert', p.client.cert, '--tls-key', p.client.key, '--tls-ca', p.ca.cert, '--timeout-ms', '20000'];
      const set = spawnSync(process.execPath, [CLI, 'set', 'foo', '5', ...tlsClient], { encoding: 'utf8', timeout: 60_000 });
      expect(set.stdout).toContain('written: 5;');
      const get = spawnSync(process.execPath, [CLI, 'get', 'foo', ...tlsClient], { encoding: 'utf8', timeout: 60_000 });
      expect(get.stdout).toContain('read:    5;');
      const plain = spawnSync(process.execPath, [CLI, 'get', 'foo', '--acceptors', addr, '--timeout-ms', '1500'], { encoding: 'utf8', timeout: 60_000 });
      expect(plain.status).toBe(3);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('paxoskv TLS flags', () => {
  it('bad combinations and unreadable files: one named line, exit 2, nothing dialled', () => {
    expect(existsSync(CLI)).toBe(true);
    const noCert = spawnSync(process.execPath, [CLI, 'get', 'foo', '--tls-key', '/nonexistent.key'], { encoding: 'utf8', timeout: 60_000 });
    expect(noCert.status).toBe(2);
    expect(noCert.stderr).toMatch(/--tls-key needs --tls-cert/);
    const missing = spawnSync(process.execPath, [CLI, 'serve', '--id', '0', '--members', '1', '--data', join(root, 'never'), '--tls-cert', '/nonexistent.crt', '--tls-key', '/nonexistent.key'], { encoding: 'utf8', timeout: 60_000 });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nonexistent/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  }, 120_000);
});

// TLS on every constdb link (issue 24), through the shared-transport TLS API: 3 real nodes
// (the built CLI) under mutual TLS mesh with MEET and replicate writes over TLS replication
// links (each node dials with its own certificate). A plaintext client, one without a
// certificate and one whose certificate another CA signed are refused in the handshake and
// change nothing; a node whose CA is another one cannot join (its links are refused both
// ways). SIGHUP reloads the certificate. Bad TLS flags are one `Error: ETLS...` line, exit 2.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Redis } from 'ioredis';
import { freePorts, makeTestPki, opensslAvailable, waitFor, type TestPki } from '@quorumkit/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startConstdb, tmp, which, type Proc } from './proc.js';

const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.log('test/tls.test.ts: openssl is not installed; the mTLS cases need it to make certificates');

let pki: TestPki | undefined;
beforeAll(async () => {
  if (haveOpenssl) pki = await makeTestPki();
}, 60_000);
afterAll(() => pki?.remove());

const procs: Proc[] = [];
const clients: Redis[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A node's own copies of its files (SIGHUP re-reads these paths). */
function nodeFiles(cert: { cert: string; key: string }, ca: string): { dir: string; cert: string; key: string; ca: string } {
  const dir = tmp('constdb-tls-');
  dirs.push(dir);
  const out = { dir, cert: join(dir, 'node.crt'), key: join(dir, 'node.key'), ca: join(dir, 'ca.crt') };
  copyFileSync(cert.cert, out.cert);
  copyFileSync(cert.key, out.key);
  copyFileSync(ca, out.ca);
  return out;
}

async function startTlsNode(id: number, port: number, files: { dir: string; cert: string; key: string; ca: string }, extra: string[] = []): Promise<Proc> {
  const p = await startConstdb(port, ['--node-id', String(id), '--tls-cert', files.cert, '--tls-key', files.key, '--tls-ca', files.ca,
    '--tls-client-auth', '--gc-interval-ms', '200', '--anti-entropy-interval-ms', '0', ...extra], join(files.dir, 'data'));
  procs.push(p);
  return p;
}

function tlsClient(port: number, tls: { ca: string; cert?: string; key?: string }): Redis {
  const c = new Redis({
    host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false,
    retryStrategy: () => null,
    tls: { ca: readFileSync(tls.ca), ...(tls.cert ? { cert: readFileSync(tls.cert), key: readFileSync(tls.key!) } : {}) },
  });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

/**
 * Sends PING on a connection made by `open` and collects everything the server sends until it
 * closes the connection (bounded): a refused client must never see +PONG.
 */
function pingUntilClosed(open: () => import('node:net').Socket, ms = 10_000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = open();
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, closed: false });
    }, ms);
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    s.write('*1\r\n$4\r\nPING\r\n');
  });
}

function info(text: string, key: string): number {
  const m = new RegExp(`^${key}:(\\d+)`, 'm').exec(text);
  if (!m) throw new Error(`INFO has no ${key}`);
  return Number(m[1]);
}

describe.runIf(haveOpenssl)('constdb over mTLS', () => {
  it('3 nodes replicate over mTLS links; plaintext, certificate-less and stranger clients are refused and change nothing', async () => {
    const p = pki!;
    const ports = await freePorts(3);
    const files = [1, 2, 3].map(() => nodeFiles(p.server, p.ca.cert));
    await Promise.all(ports.map((port, i) => startTlsNode(i + 1, port, files[i]!)));
    const good = { ca: p.ca.cert, cert: p.client.cert, key: p.client.key };
    const c = ports.map((port) => tlsClient(port, good));
    await Promise.all(c.map((x) => x.connect()));
    expect(await c[0]!.call('MEET', `127.0.0.1:${ports[1]}`)).toBe(1);
    expect(await c[0]!.call('MEET', `127.0.0.1:${ports[2]}`)).toBe(1);
    await c[0]!.set('from1', 'a');
    await c[1]!.incr('n');
    await c[2]!.sadd('s', 'x');
    await c[2]!.incr('n');
    // every node sees every write: the ops crossed the TLS replication links, both directions
    await waitFor(async () => {
      const views = await Promise.all(c.map(async (x) => [await x.get('from1'), await x.get('n'), await x.smembers('s')]));
      return views.every((v) => JSON.stringify(v) === JSON.stringify(['a', '2', ['x']]));
    }, { timeoutMs: 30_000, what: 'the 3 TLS nodes converge' });

    const dbsize = await Promise.all(c.map((x) => x.dbsize()));
    const refusedBefore = info(await c[0]!.info('stats'), 'tls_handshakes_refused');
    const plain = await pingUntilClosed(() => netConnect({ host: '127.0.0.1', port: ports[0]! }));
    expect(plain.data).not.toContain('PONG');
    expect(plain.closed).toBe(true);
    const noCert = await pingUntilClosed(() => tlsConnect({ host: '127.0.0.1', port: ports[0]!, ca: readFileSync(p.ca.cert) }));
    expect(noCert.data).not.toContain('PONG');
    expect(noCert.closed).toBe(true);
    const stranger = await pingUntilClosed(() => tlsConnect({ host: '127.0.0.1', port: ports[0]!, ca: readFileSync(p.ca.cert),
      cert: readFileSync(p.stranger.cert), key: readFileSync(p.stranger.key) }));
    expect(stranger.data).not.toContain('PONG');
    expect(stranger.closed).toBe(true);
    // a client that does not trust the node's CA gives up itself
    const wrongTrust = tlsClient(ports[0]!, { ca: p.otherCa.cert, cert: p.client.cert, key: p.client.key });
    await expect(wrongTrust.connect()).rejects.toThrow();
    expect(info(await c[0]!.info('stats'), 'tls_handshakes_refused')).toBeGreaterThanOrEqual(refusedBefore + 3);
    expect(await Promise.all(c.map((x) => x.dbsize()))).toEqual(dbsize);
  }, 120_000);

  it('a node of another CA cannot join: MEET fails, its links are refused, nothing replicates', async () => {
    const p = pki!;
    const [pa, pb] = await freePorts(2);
    await startTlsNode(1, pa!, nodeFiles(p.server, p.ca.cert));
    // a node whose certificate another CA signed and which trusts only that CA
    const foreign = await startTlsNode(2, pb!, nodeFiles(p.stranger, p.otherCa.cert));
    const c1 = tlsClient(pa!, { ca: p.ca.cert, cert: p.client.cert, key: p.client.key });
    await c1.connect();
    await c1.set('k', 'v');
    await expect(c1.call('MEET', `127.0.0.1:${pb}`)).rejects.toThrow();
    const c2 = tlsClient(pb!, { ca: p.otherCa.cert, cert: p.stranger.cert, key: p.stranger.key });
    await c2.connect();
    await expect(c2.call('MEET', `127.0.0.1:${pa}`)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    expect(await c2.get('k')).toBe(null);
    expect(await c2.dbsize()).toBe(0);
    expect(info(await c1.info('stats'), 'tls_handshakes_refused')).toBeGreaterThanOrEqual(1);
    expect(foreign.child.exitCode).toBe(null);
  }, 120_000);

  it('SIGHUP reloads the certificate: new connections get the new one, the node stays up', async () => {
    const p = pki!;
    const [port] = await freePorts(1);
    const files = nodeFiles(p.server, p.ca.cert);
    const node = await startTlsNode(1, port!, files, ['--log-level', 'info']);
    const serialOf = () => new Promise<string>((resolve, reject) => {
      const s: TLSSocket = tlsConnect({ host: '127.0.0.1', port: port!, ca: readFileSync(p.ca.cert), cert: readFileSync(p.client.cert), key: readFileSync(p.client.key) }, () => {
        const serial = s.getPeerCertificate().serialNumber;
        s.destroy();
        resolve(serial);
      });
      s.on('error', reject);
    });
    expect(await serialOf()).toBe(p.server.serial);
    const next = await p.ca.issue('node-rotated');
    writeFileSync(files.cert + '.tmp', readFileSync(next.cert));
    writeFileSync(files.key + '.tmp', readFileSync(next.key));
    copyFileSync(files.cert + '.tmp', files.cert);
    copyFileSync(files.key + '.tmp', files.key);
    node.child.kill('SIGHUP');
    await waitFor(async () => (await serialOf()) === next.serial, { timeoutMs: 20_000, what: 'the node serves the rotated certificate' });
    expect(node.child.exitCode).toBe(null);
    // the log line can reach the pipe after the new certificate is already served (pino writes asynchronously)
    await waitFor(() => /certificates reloaded/.test(node.out()), { timeoutMs: 20_000, what: 'the node to log the reload' });
  }, 120_000);

  const redisCli = which('redis-cli');
  const cliHasTls = redisCli !== undefined && /--tls/.test(spawnSync(redisCli, ['--help'], { encoding: 'utf8' }).stdout + spawnSync(redisCli, ['--help'], { encoding: 'utf8' }).stderr);
  it.runIf(cliHasTls)('redis-cli --tls with a client certificate talks to a node', async () => {
    const p = pki!;
    const [port] = await freePorts(1);
    await startTlsNode(1, port!, nodeFiles(p.server, p.ca.cert));
    const run = (args: string[]) => spawnSync(redisCli!, ['-h', '127.0.0.1', '-p', String(port), '--tls', '--cacert', p.ca.cert, ...args], { encoding: 'utf8', timeout: 20_000 });
    const withCert = ['--cert', p.client.cert, '--key', p.client.key];
    expect(run([...withCert, 'SET', 'cli', 'ok']).stdout.trim()).toBe('OK');
    expect(run([...withCert, 'GET', 'cli']).stdout.trim()).toBe('ok');
    const noCert = run(['GET', 'cli']);
    expect(noCert.stdout).not.toContain('ok');
  }, 60_000);
});

describe('constdb-server TLS flags', () => {
  it('bad combinations and unreadable files: one Error: line with the code, exit 2, nothing started', async () => {
    const [port] = await freePorts(1);
    const dir = tmp();
    dirs.push(dir);
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, '--port', String(port), '--work-dir', join(dir, 'w'), ...args], { encoding: 'utf8', timeout: 60_000 });
    const keyOnly = run(['--tls-key', '/nonexistent.key']);
    expect(keyOnly.status).toBe(2);
    expect(keyOnly.stderr.trim()).toBe('Error: ETLSCONFIG: --tls-key needs --tls-cert');
    const authNoCa = run(['--tls-cert', '/nonexistent.crt', '--tls-key', '/nonexistent.key', '--tls-client-auth']);
    expect(authNoCa.status).toBe(2);
    expect(authNoCa.stderr.trim()).toMatch(/^Error: ETLSCONFIG: --tls-client-auth needs --tls-ca/);
    const missing = run(['--tls-cert', '/nonexistent.crt', '--tls-key', '/nonexistent.key']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^Error: ETLSFILE: .*\/nonexistent/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    // the same keys in constdb.toml
    const toml = join(dir, 'c.toml');
    writeFileSync(toml, 'tls_ca = "/nonexistent-ca.crt"\n');
    const fromFile = run([toml]);
    expect(fromFile.status).toBe(2);
    expect(fromFile.stderr.trim()).toMatch(/^Error: ETLSCONFIG: --tls-ca was given without --tls-cert/);
  }, 120_000);
});

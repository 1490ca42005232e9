// TLS and mTLS with self-signed certificates made by openssl at test time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, createGrpcClient, type TlsFiles } from '../src/index.js';
import { ECHO_PROTO, ECHO_SERVICE, startEchoServer } from './helpers.js';

function opensslVersion(): string | undefined {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}
const openssl = opensslVersion();
if (!openssl) console.warn('tls.test.ts: skipping TLS tests: `openssl` is not on PATH to make test certificates');

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { cert, key };
}

describe.skipIf(!openssl)('TLS and mTLS', () => {
  let dir: string;
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'qk-tls-'));
    server = selfSigned(dir, 'server');
    client = selfSigned(dir, 'client');
    stranger = selfSigned(dir, 'stranger');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function roundTrip(serverTls: TlsFiles, clientTls: TlsFiles | undefined): Promise<unknown> {
    const srv = await startEchoServer('tls', { tls: serverTls });
    const c = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, srv.address, { tls: clientTls });
    try {
      return await callUnary(c, 'Echo', { text: 'secret' }, { deadlineMs: 10_000 });
    } catch (e) {
      return e;
    } finally {
      c.close();
      await srv.close();
    }
  }

  it('serves TLS to a client that trusts the server certificate', async () => {
    const res = await roundTrip({ cert: server.cert, key: server.key }, { ca: server.cert });
    expect(res).toMatchObject({ text: 'secret', servedBy: 'tls' });
  });

  it('refuses a plaintext client and a client trusting another certificate', async () => {
    const plain = await roundTrip({ cert: server.cert, key: server.key }, undefined);
    expect((plain as { code?: string }).code).toBe('EUNAVAILABLE');
    const wrongCa = await roundTrip({ cert: server.cert, key: server.key }, { ca: stranger.cert });
    expect((wrongCa as { code?: string }).code).toBe('EUNAVAILABLE');
  });

  it('mTLS: accepts a client with a trusted certificate, refuses one without or with an untrusted one', async () => {
    const serverTls: TlsFiles = { cert: server.cert, key: server.key, ca: client.cert, requireClientCert: true };
    await expect(roundTrip(serverTls, { ca: server.cert, cert: client.cert, key: client.key })).resolves.toMatchObject({
      text: 'secret',
    });
    const anonymous = await roundTrip(serverTls, { ca: server.cert });
    expect((anonymous as { code?: string }).code).toBe('EUNAVAILABLE');
    const untrusted = await roundTrip(serverTls, { ca: server.cert, cert: stranger.cert, key: stranger.key });
    expect((untrusted as { code?: string }).code).toBe('EUNAVAILABLE');
  });

  it('rejects incomplete TLS options', () => {
    expect(() => createGrpcClient(ECHO_PROTO, ECHO_SERVICE, '127.0.0.1:1', { tls: { cert: client.cert } })).toThrow(TypeError);
  });
});

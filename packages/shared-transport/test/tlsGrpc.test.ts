// gRPC over TLS and mTLS with certificates from a test CA (openssl at test time).
import { makeTestPki, opensslAvailable, type TestPki } from '@quorumkit/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, createGrpcClient, TlsConfigError, type TlsFiles } from '../src/index.js';
import { ECHO_PROTO, ECHO_SERVICE, startEchoServer } from './helpers.js';

const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.warn('tlsGrpc.test.ts: skipping: the openssl CLI is not on PATH to make test certificates');

describe.skipIf(!haveOpenssl)('gRPC over TLS and mTLS', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki();
  });
  afterAll(() => pki?.remove());

  /** One call against a fresh server; the error (if any) is returned, not thrown. */
  async function roundTrip(serverTls: TlsFiles, clientTls: TlsFiles | undefined, address?: string): Promise<unknown> {
    const srv = await startEchoServer('tls', { tls: serverTls });
    const c = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, address?.replace('PORT', String(srv.port)) ?? srv.address, { tls: clientTls });
    try {
      return await callUnary(c, 'Echo', { text: 'secret' }, { deadlineMs: 10_000 });
    } catch (e) {
      return e;
    } finally {
      c.close();
      await srv.close();
    }
  }
  const code = (r: unknown): string | undefined => (r as { code?: string }).code;

  it('TLS: a client trusting the CA is served; by IP SAN and by DNS name', async () => {
    const serverTls = { cert: pki.server.cert, key: pki.server.key };
    await expect(roundTrip(serverTls, { ca: pki.ca.cert })).resolves.toMatchObject({ text: 'secret', servedBy: 'tls' });
    await expect(roundTrip(serverTls, { ca: pki.ca.cert }, 'localhost:PORT')).resolves.toMatchObject({ text: 'secret' });
  });

  it('TLS: refuses a plaintext client, a client trusting another CA, and a name not in the certificate', async () => {
    const serverTls = { cert: pki.server.cert, key: pki.server.key };
    expect(code(await roundTrip(serverTls, undefined))).toBe('EUNAVAILABLE');
    expect(code(await roundTrip(serverTls, { ca: pki.otherCa.cert }))).toBe('EUNAVAILABLE');
    expect(code(await roundTrip(serverTls, { ca: pki.ca.cert, serverName: 'not-in-the-cert.example' }))).toBe('EUNAVAILABLE');
  });

  it('mTLS: serves a client with a CA-signed certificate; refuses one without, or signed by another CA', async () => {
    const serverTls: TlsFiles = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true };
    await expect(roundTrip(serverTls, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key })).resolves.toMatchObject({
      text: 'secret',
    });
    expect(code(await roundTrip(serverTls, { ca: pki.ca.cert }))).toBe('EUNAVAILABLE');
    expect(code(await roundTrip(serverTls, { ca: pki.ca.cert, cert: pki.stranger.cert, key: pki.stranger.key }))).toBe('EUNAVAILABLE');
  });

  it('refuses incomplete TLS options with a named error before any connection', async () => {
    expect(() => createGrpcClient(ECHO_PROTO, ECHO_SERVICE, '127.0.0.1:1', { tls: { cert: pki.client.cert } })).toThrow(TlsConfigError);
    await expect(startEchoServer('x', { tls: { ca: pki.ca.cert } })).rejects.toBeInstanceOf(TlsConfigError);
    await expect(startEchoServer('x', { tls: { cert: pki.server.cert, key: pki.server.key, requireClientCert: true } })).rejects.toBeInstanceOf(
      TlsConfigError,
    );
  });
});

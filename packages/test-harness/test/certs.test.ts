// makeTestPki: real openssl output, checked with node:crypto (issuer chain, SAN, serials).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertError, makeTestPki, opensslAvailable, type TestPki } from '../src/index.js';

const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.warn('certs.test.ts: skipping: the openssl CLI is not on PATH');

describe.skipIf(!haveOpenssl)('makeTestPki', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki({ ips: ['127.0.0.1', '10.77.0.1'] });
  });
  afterAll(() => pki?.remove());

  const x509 = (path: string): X509Certificate => new X509Certificate(readFileSync(path));

  it('signs server and client with the CA, and the stranger with the other CA only', () => {
    const ca = x509(pki.ca.cert);
    const other = x509(pki.otherCa.cert);
    expect(ca.ca).toBe(true);
    for (const leaf of [pki.server, pki.client]) {
      const c = x509(leaf.cert);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.verify(other.publicKey)).toBe(false);
      expect(c.checkPrivateKey(createPrivateKey(readFileSync(leaf.key)))).toBe(true);
    }
    const s = x509(pki.stranger.cert);
    expect(s.verify(other.publicKey)).toBe(true);
    expect(s.verify(ca.publicKey)).toBe(false);
  });

  it('puts the requested addresses in the SAN and gives each certificate its own serial', async () => {
    const c = x509(pki.server.cert);
    expect(c.subjectAltName).toContain('IP Address:10.77.0.1');
    expect(c.subjectAltName).toContain('DNS:localhost');
    expect(c.serialNumber).toBe(pki.server.serial);
    const again = await pki.ca.issue('server-2');
    expect(again.serial).not.toBe(pki.server.serial);
    expect(x509(again.cert).verify(x509(pki.ca.cert).publicKey)).toBe(true);
  });

  it('refuses a name that is not safe as a file name', async () => {
    await expect(pki.ca.issue('../evil')).rejects.toBeInstanceOf(CertError);
  });
});

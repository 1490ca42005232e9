// The four TLS flags: what goes together, what is refused, and files that cannot be used.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestPki, opensslAvailable, type TestPki } from '@quorumkit/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTlsOptions, TlsConfigError, TlsFileError, tlsFilesFromOptions } from '../src/index.js';

const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.warn('tlsOptions.test.ts: skipping: the openssl CLI is not on PATH to make test certificates');

describe.skipIf(!haveOpenssl)('tlsFilesFromOptions', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki();
  });
  afterAll(() => pki?.remove());

  it('no flag means plaintext; cert + key (+ ca, + client auth) come back as TlsFiles', () => {
    expect(tlsFilesFromOptions({})).toBeUndefined();
    expect(tlsFilesFromOptions({ tlsCert: pki.server.cert, tlsKey: pki.server.key })).toEqual({ cert: pki.server.cert, key: pki.server.key });
    expect(
      tlsFilesFromOptions({ tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.ca.cert, tlsClientAuth: true }),
    ).toEqual({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true });
    expect(tlsFilesFromOptions({ tlsCa: pki.ca.cert }, 'client')).toEqual({ ca: pki.ca.cert });
  });

  it('refuses flags that do not go together, naming them', () => {
    const cases: [Parameters<typeof tlsFilesFromOptions>[0], 'server' | 'client', RegExp][] = [
      [{ tlsKey: pki.server.key }, 'server', /--tls-key needs --tls-cert/],
      [{ tlsCert: pki.server.cert }, 'server', /--tls-cert needs --tls-key/],
      [{ tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsClientAuth: true }, 'server', /--tls-client-auth needs --tls-ca/],
      [{ tlsClientAuth: true }, 'server', /--tls-client-auth needs --tls-ca/],
      [{ tlsCa: pki.ca.cert }, 'server', /without --tls-cert/],
      [{ tlsCa: pki.ca.cert, tlsClientAuth: true }, 'client', /server flag/],
    ];
    for (const [values, role, message] of cases) {
      expect(() => tlsFilesFromOptions(values, role)).toThrow(TlsConfigError);
      expect(() => tlsFilesFromOptions(values, role)).toThrow(message);
    }
  });

  it('refuses unreadable, non-PEM and mismatched files with TlsFileError naming the path', () => {
    const missing = join(pki.dir, 'missing.crt');
    const junk = join(pki.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const otherKey = join(pki.dir, 'client-copy.key');
    copyFileSync(pki.client.key, otherKey);
    const attempts: [() => unknown, string, RegExp][] = [
      [() => tlsFilesFromOptions({ tlsCert: missing, tlsKey: pki.server.key }), missing, /cannot be read \(ENOENT\)/],
      [() => tlsFilesFromOptions({ tlsCert: junk, tlsKey: pki.server.key }), junk, /no PEM certificate/],
      [() => tlsFilesFromOptions({ tlsCert: pki.server.cert, tlsKey: junk }), junk, /not an unencrypted PEM private key/],
      [() => tlsFilesFromOptions({ tlsCert: pki.server.cert, tlsKey: otherKey }), otherKey, /does not belong to certificate/],
      [() => tlsFilesFromOptions({ tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: junk }), junk, /CA file .* no PEM/],
      [() => tlsFilesFromOptions({ tlsCert: '', tlsKey: pki.server.key }), '', /path is empty/],
    ];
    for (const [attempt, path, message] of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TlsFileError);
      expect((caught as TlsFileError).path).toBe(path);
      expect((caught as Error).message).toMatch(message);
    }
  });

  it('addTlsOptions declares the four flags on anything with option(flags, description)', () => {
    const declared: string[] = [];
    const cmd = { option: (flags: string, description: string) => declared.push(`${flags}: ${description}`) };
    expect(addTlsOptions(cmd)).toBe(cmd);
    expect(declared.map((d) => d.split(':')[0])).toEqual(['--tls-cert <file>', '--tls-key <file>', '--tls-ca <file>', '--tls-client-auth']);
  });
});

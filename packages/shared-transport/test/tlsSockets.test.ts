// Raw-TCP links over TLS and mTLS: createSocketServer + connectSocket, as the framed peer
// links and RESP ports use them.
import type { AddressInfo, Server, Socket } from 'node:net';
import { makeTestPki, opensslAvailable, type TestPki } from '@quorumkit/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectSocket, createSocketServer, TlsReloader, type TlsFiles } from '../src/index.js';

const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.warn('tlsSockets.test.ts: skipping: the openssl CLI is not on PATH to make test certificates');

interface EchoTcp {
  server: Server;
  port: number;
  accepted: number;
  tlsErrors: string[];
}

const quiet = { info: () => {}, error: () => {} };
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** An echo server; `accepted` counts connections handed to the application. */
async function startEcho(tls: TlsReloader | undefined): Promise<EchoTcp> {
  const e: EchoTcp = { server: undefined as never, port: 0, accepted: 0, tlsErrors: [] };
  e.server = createSocketServer(
    tls,
    (s) => {
      e.accepted++;
      s.on('error', () => {});
      s.pipe(s);
    },
    { onTlsError: (err) => e.tlsErrors.push(err.message) },
  );
  servers.push(e.server);
  await new Promise<void>((r) => e.server.listen(0, '127.0.0.1', r));
  e.port = (e.server.address() as AddressInfo).port;
  return e;
}

/** Dials, sends one line, resolves with what came back or the error/close that ended it (bounded). */
function exchange(port: number, tls: TlsReloader | undefined, host = '127.0.0.1'): Promise<{ echoed?: string; error?: string; serial?: string }> {
  return new Promise((resolve) => {
    let serial: string | undefined;
    const s = connectSocket({ host, port, tls }, () => {
      serial = (s as unknown as { getPeerCertificate?: () => { serialNumber?: string } }).getPeerCertificate?.().serialNumber;
      s.write('ping\r\n');
    });
    sockets.push(s);
    const timer = setTimeout(() => finish({ error: 'no answer within 10 s' }), 10_000);
    const finish = (r: { echoed?: string; error?: string }): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ...r, serial });
    };
    s.on('data', (d) => finish({ echoed: d.toString() }));
    s.on('error', (err) => finish({ error: err.message }));
    s.on('close', () => finish({ error: 'closed' }));
  });
}

describe.skipIf(!haveOpenssl)('raw TCP over TLS and mTLS', () => {
  let pki: TestPki;
  let server: TlsFiles;
  let mutual: TlsFiles;
  beforeAll(async () => {
    pki = await makeTestPki();
    server = { cert: pki.server.cert, key: pki.server.key };
    mutual = { ...server, ca: pki.ca.cert, requireClientCert: true };
  });
  afterAll(() => pki?.remove());
  const r = (files: TlsFiles): TlsReloader => new TlsReloader(files, { logger: quiet });

  it('plaintext stays plaintext without tls', async () => {
    const e = await startEcho(undefined);
    expect(await exchange(e.port, undefined)).toMatchObject({ echoed: 'ping\r\n' });
  });

  it('TLS: a client trusting the CA gets through (by IP and by name); one trusting another CA or a wrong name does not', async () => {
    const e = await startEcho(r(server));
    expect(await exchange(e.port, r({ ca: pki.ca.cert }))).toEqual({ echoed: 'ping\r\n', serial: pki.server.serial });
    expect(await exchange(e.port, r({ ca: pki.ca.cert }), 'localhost')).toMatchObject({ echoed: 'ping\r\n' });
    expect((await exchange(e.port, r({ ca: pki.otherCa.cert }))).error).toMatch(/self-signed|unable to verify|certificate/i);
    expect((await exchange(e.port, r({ ca: pki.ca.cert, serverName: 'elsewhere.example' }))).error).toMatch(/elsewhere\.example/);
    expect(e.accepted).toBe(2);
  });

  it('TLS: a plaintext client is never handed to the application', async () => {
    const e = await startEcho(r(server));
    expect((await exchange(e.port, undefined)).echoed).toBeUndefined();
    expect(e.accepted).toBe(0);
  });

  it('mTLS: a peer with a CA-signed certificate gets through; one without, or signed by another CA, is refused', async () => {
    const e = await startEcho(r(mutual));
    expect(await exchange(e.port, r({ ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key }))).toMatchObject({ echoed: 'ping\r\n' });
    const anonymous = await exchange(e.port, r({ ca: pki.ca.cert }));
    expect(anonymous.echoed).toBeUndefined();
    const stranger = await exchange(e.port, r({ ca: pki.ca.cert, cert: pki.stranger.cert, key: pki.stranger.key }));
    expect(stranger.echoed).toBeUndefined();
    expect(e.accepted).toBe(1);
    expect(e.tlsErrors).toHaveLength(2);
    expect(e.tlsErrors.join('\n')).toMatch(/certificate/i);
  });
});

// Certificate reload: TlsReloader re-reads the files (on SIGHUP or reload()), new connections
// get the new certificate, and a bad set keeps the old one.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { makeTestPki, opensslAvailable, type TestCert, type TestPki } from '@quorumkit/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSocketServer, TlsFileError, TlsReloader } from '../src/index.js';

const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.warn('tlsReload.test.ts: skipping: the openssl CLI is not on PATH to make test certificates');

/** A logger that keeps what it was told. */
function recordingLogger(): { lines: { level: string; msg: string; obj: Record<string, unknown> }[]; info: never; error: never } {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  return {
    lines,
    info: ((obj: Record<string, unknown>, msg: string) => lines.push({ level: 'info', msg, obj })) as never,
    error: ((obj: Record<string, unknown>, msg: string) => lines.push({ level: 'error', msg, obj })) as never,
  };
}

/** The serial of the certificate a TLS server at port presents to a new connection (bounded). */
function servedSerial(port: number, ca: string, alpn?: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, ...(alpn ? { ALPNProtocols: alpn } : {}) }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.destroy();
      resolve(serial);
    });
    s.setTimeout(10_000, () => {
      s.destroy();
      reject(new Error('no TLS handshake within 10 s'));
    });
    s.on('error', reject);
  });
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

describe.skipIf(!haveOpenssl)('TlsReloader', () => {
  let pki: TestPki;
  let next: TestCert;
  let caPem: string;
  let live: { cert: string; key: string };
  beforeAll(async () => {
    pki = await makeTestPki();
    next = await pki.ca.issue('server-next');
    caPem = readFileSync(pki.ca.cert, 'utf8');
  });
  afterAll(() => pki?.remove());

  /** Copies `c` to the live paths the server was started with, as an operator would. */
  function install(c: { cert: string; key: string }): void {
    copyFileSync(c.cert, live.cert);
    copyFileSync(c.key, live.key);
  }

  async function startTcp(reloader: TlsReloader): Promise<number> {
    const server = createSocketServer(reloader, (s) => s.on('error', () => {}).pipe(s));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  it('reload(): new TCP connections see the new serial; a failed reload keeps the old set and logs why', async () => {
    live = { cert: join(pki.dir, 'live-a.crt'), key: join(pki.dir, 'live-a.key') };
    install(pki.server);
    const log = recordingLogger();
    const reloader = new TlsReloader(live, { logger: log });
    const port = await startTcp(reloader);
    expect(await servedSerial(port, caPem)).toBe(pki.server.serial);

    install(next);
    expect(reloader.reload()).toMatchObject({ ok: true });
    expect(await servedSerial(port, caPem)).toBe(next.serial);
    expect(log.lines.at(-1)).toMatchObject({ level: 'info', obj: { serial: next.serial, previousSerial: pki.server.serial } });

    // A half-written certificate, then a key from another pair: both refused, old set kept.
    writeFileSync(live.cert, '-----BEGIN CERTIFICATE-----\nMIIB\n');
    const broken = reloader.reload();
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toBeInstanceOf(TlsFileError);
    copyFileSync(pki.server.cert, live.cert);
    copyFileSync(pki.client.key, live.key);
    expect(reloader.reload().ok).toBe(false);
    expect(reloader.current.serial).toBe(next.serial);
    expect(await servedSerial(port, caPem)).toBe(next.serial);
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]!.msg).toMatch(/reload failed; keeping the certificates in use/);
    expect(errors[1]!.obj.err).toMatch(/does not belong to certificate/);
    expect(errors[1]!.obj.kept).toMatchObject({ serial: next.serial });
  });

  it('SIGHUP reloads once reloadOnSignal is installed', async () => {
    live = { cert: join(pki.dir, 'live-b.crt'), key: join(pki.dir, 'live-b.key') };
    install(pki.server);
    const reloader = new TlsReloader(live, { logger: recordingLogger() });
    const port = await startTcp(reloader);
    expect(await servedSerial(port, caPem)).toBe(pki.server.serial);
    const off = reloader.reloadOnSignal('SIGHUP');
    try {
      install(next);
      const swapped = new Promise<void>((resolve) => reloader.onChange(() => resolve()));
      process.kill(process.pid, 'SIGHUP');
      await Promise.race([swapped, new Promise((_, reject) => setTimeout(() => reject(new Error('no reload 10 s after SIGHUP')), 10_000))]);
    } finally {
      off();
    }
    expect(await servedSerial(port, caPem)).toBe(next.serial);
  });
});

// Certificate reload: TlsReloader re-reads the files (on SIGHUP or reload()), new connections
// get the new certificate, and a bad set keeps the old one.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { makeTestPki, opensslAvailable, type TestCert, type TestPki } from '@quorumkit/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, connectSocket, createGrpcClient, createSocketServer, TlsFileError, TlsReloader } from '../src/index.js';
import { ECHO_PROTO, ECHO_SERVICE, startEchoServer } from './helpers.js';

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

  it('TCP client: connectSocket presents the reloaded client certificate on its next connection', async () => {
    const server = createSocketServer(
      new TlsReloader({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true }, { logger: recordingLogger() }),
      (s) => s.on('error', () => {}).pipe(s),
    );
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const mine = { cert: join(pki.dir, 'live-tcp-client.crt'), key: join(pki.dir, 'live-tcp-client.key') };
    copyFileSync(pki.client.cert, mine.cert);
    copyFileSync(pki.client.key, mine.key);
    const client = new TlsReloader({ ...mine, ca: pki.ca.cert }, { logger: recordingLogger() });
    const echo = (): Promise<boolean> =>
      new Promise((resolve) => {
        const s = connectSocket({ host: '127.0.0.1', port, tls: client }, () => s.write('hi\r\n'));
        const end = (v: boolean): void => {
          clearTimeout(timer);
          s.destroy();
          resolve(v);
        };
        const timer = setTimeout(() => end(false), 10_000);
        s.on('data', () => end(true));
        s.on('error', () => end(false));
        s.on('close', () => end(false));
      });
    expect(await echo()).toBe(true);
    copyFileSync(pki.stranger.cert, mine.cert);
    copyFileSync(pki.stranger.key, mine.key);
    expect(client.reload().ok).toBe(true);
    expect(await echo()).toBe(false);
  });

  it('gRPC: after reload new connections see the new serial and calls keep working; an mTLS client reloads its own certificate', async () => {
    live = { cert: join(pki.dir, 'live-c.crt'), key: join(pki.dir, 'live-c.key') };
    install(pki.server);
    const serverTls = new TlsReloader({ ...live, ca: pki.ca.cert, requireClientCert: true }, { logger: recordingLogger() });
    const clientLive = { cert: join(pki.dir, 'live-client.crt'), key: join(pki.dir, 'live-client.key') };
    copyFileSync(pki.client.cert, clientLive.cert);
    copyFileSync(pki.client.key, clientLive.key);
    const clientTls = new TlsReloader({ ...clientLive, ca: pki.ca.cert }, { logger: recordingLogger() });
    const srv = await startEchoServer('reload', { tls: serverTls });
    const clients: { close(): void }[] = [];
    const call = async (): Promise<unknown> => {
      // A local subchannel pool: each client dials its own connection instead of sharing
      // one made before the reload (open connections keep the set they were made with).
      const c = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, srv.address, {
        tls: clientTls,
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      });
      clients.push(c);
      return callUnary(c, 'Echo', { text: 'x' }, { deadlineMs: 10_000 }).catch((e: unknown) => e);
    };
    try {
      expect(await call()).toMatchObject({ servedBy: 'reload' });
      expect(await servedSerial(srv.port, caPem, ['h2'])).toBe(pki.server.serial);

      install(next);
      expect(serverTls.reload().ok).toBe(true);
      expect(await servedSerial(srv.port, caPem, ['h2'])).toBe(next.serial);
      expect(await call()).toMatchObject({ servedBy: 'reload' });

      // The client's certificate replaced by one from another CA: after its reload the
      // mTLS server refuses it, which shows the client's new connections use the new set.
      copyFileSync(pki.stranger.cert, clientLive.cert);
      copyFileSync(pki.stranger.key, clientLive.key);
      expect(clientTls.reload().ok).toBe(true);
      expect((await call()) as { code?: string }).toMatchObject({ code: 'EUNAVAILABLE' });
    } finally {
      for (const c of clients) c.close();
      await srv.close();
    }
  });
});

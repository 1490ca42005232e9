// Issue 24 (certain part): three card servers with mutual TLS on the card port and on the peer
// links (shared-transport TlsReloader, docs/tls.md). A write needs a majority, so it proves
// the peer links work over TLS; a plaintext client, a client without a certificate, and a
// client trusting another CA are refused and change nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsReloader } from '@quorumkit/shared-transport';
import { freePorts, makeTestPki, opensslAvailable, type TestPki } from '@quorumkit/test-harness';
import { CardClient, CardUnavailableError, configDefaults, startCardServer, type RunningCardServer } from '../src/index.js';

const hasOpenssl = opensslAvailable();
let pki: TestPki;
let dir: string;
const servers: RunningCardServer[] = [];
let cardAddrs: string[] = [];
const enc = new TextEncoder();

beforeAll(async () => {
  if (!hasOpenssl) return;
  pki = await makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'certain-tls-'));
  const ports = await freePorts(6);
  const peers = ports.slice(0, 3).map((p) => `127.0.0.1:${p}`);
  cardAddrs = ports.slice(3).map((p) => `127.0.0.1:${p}`);
  // the nodes present the `server` certificate both ways (it carries serverAuth and clientAuth)
  const tls = new TlsReloader({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true });
  const started = await Promise.all([0, 1, 2].map((i) =>
    startCardServer(
      { ...configDefaults, serverAddrs: peers, cardAddrs, acceptorNum: 3, acceptorId: i, path: dir, cmdTimeoutMs: 10_000, logLevel: 'silent' },
      pino({ level: 'silent' }),
      { bootstrap: true, tls },
    )));
  servers.push(...started);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  pki?.remove();
});

describe.runIf(hasOpenssl)('card server over mutual TLS', () => {
  it('a client with the CA and a client certificate writes and reads (peer links over TLS)', async () => {
    const c = new CardClient(cardAddrs, { deadlineMs: 10_000, tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key } });
    try {
      expect(await c.call('InsertCard', { cardId: 7n, card: { userName: enc.encode('t'), userId: 1n, balance: 5n } })).toMatchObject({ ok: true });
      expect(await c.call('UpdateCard', { cardId: 7n, delta: 3n })).toMatchObject({ ok: true, card: { balance: 8n } });
      // a replica the card does not route to answers too (its peer links carried the entry)
      const other = new CardClient([undefined, undefined, cardAddrs[2]], { deadlineMs: 10_000, tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key } });
      try {
        expect(await other.call('SelectCard', { cardId: 7n })).toMatchObject({ ok: true, card: { balance: 8n } });
      } finally {
        other.close();
      }
    } finally {
      c.close();
    }
  }, 60_000);

  it('plaintext, certificate-less and wrong-CA clients are refused and change nothing', async () => {
    const bad = [
      new CardClient(cardAddrs, { deadlineMs: 3000, attemptsMax: 3 }),
      new CardClient(cardAddrs, { deadlineMs: 3000, attemptsMax: 3, tls: { ca: pki.ca.cert } }),
      new CardClient(cardAddrs, { deadlineMs: 3000, attemptsMax: 3, tls: { ca: pki.otherCa.cert, cert: pki.stranger.cert, key: pki.stranger.key } }),
    ];
    try {
      for (const c of bad) {
        await expect(c.call('UpdateCard', { cardId: 7n, delta: 100n })).rejects.toBeInstanceOf(CardUnavailableError);
      }
    } finally {
      for (const c of bad) c.close();
    }
    const good = new CardClient(cardAddrs, { deadlineMs: 10_000, tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key } });
    try {
      expect(await good.call('SelectCard', { cardId: 7n })).toMatchObject({ ok: true, card: { balance: 8n } });
    } finally {
      good.close();
    }
  }, 60_000);
});

// TLS on every rrseq link (issue 24, rrseq part), through the shared-transport TLS API: three
// servers under mTLS form a cluster and allocate across their peer links (each dials its peers
// with its own certificate, unary GRPCPeer and the GRPCPeerStream alike); a client holding a
// certificate of the cluster CA gets IDs, over GRPCNextID and the GRPCLease stream that shares
// its channel. A plaintext client, one without a certificate and one whose certificate another
// CA signed are refused and change nothing. The CLIs turn bad TLS flags into one
// `Error: ETLSCONFIG|ETLSFILE` line and exit 2 before anything listens or dials.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsReloader, callUnary, createGrpcClient, type TlsFiles } from '@quorumkit/shared-transport';
import { type TestPki, makeTestPki, opensslAvailable } from '@quorumkit/test-harness';
import { RRSeq, rrSeqProtoPath } from '../src/index.js';
import { startLocalCluster, type LocalCluster } from './helpers/cluster.js';

const DIST = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.log('test/tls.test.ts: openssl is not installed; the TLS cases need it to make certificates');

let pki: TestPki | undefined;
let root = '';
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rrseq-tls-'));
  if (haveOpenssl) pki = await makeTestPki();
}, 60_000);
afterAll(() => {
  pki?.remove();
  rmSync(root, { recursive: true, force: true });
});

/** Every server's current ID of `name`, read with a good client certificate. */
async function curIds(addrs: string[], name: string, tls: TlsFiles): Promise<string[]> {
  return Promise.all(
    addrs.map(async (addr) => {
      const c = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', addr, { tls });
      try {
        return (await callUnary<{ name: string }, { curId: string }>(c, 'GRPCCurID', { name }, { deadlineMs: 20_000 })).curId;
      } finally {
        c.close();
      }
    }),
  );
}

describe.runIf(haveOpenssl)('rrseq over mTLS', () => {
  it('3 servers allocate across mTLS peer links; plaintext, certificate-less and stranger clients are refused and change nothing', async () => {
    const p = pki!;
    const tls = new TlsReloader({ cert: p.server.cert, key: p.server.key, ca: p.ca.cert, requireClientCert: true }, { logger: { info: () => {}, error: () => {} } });
    // init needs every server to answer over the peer links: it forms the cluster only under working mTLS
    const c: LocalCluster = await startLocalCluster(3, { tls });
    const seqs: RRSeq[] = [];
    try {
      const good: TlsFiles = { cert: p.client.cert, key: p.client.key, ca: p.ca.cert };
      const unary = new RRSeq('tls', 0, c.addrs, { tls: good, stream: false });
      const leased = new RRSeq('tls', 0, c.addrs, { tls: good });
      seqs.push(unary, leased);
      expect(await unary.next({ timeoutMs: 30_000 })).toBe(1n);
      expect(await leased.next({ timeoutMs: 30_000 })).toBe(2n);
      expect(await unary.next({ timeoutMs: 30_000 })).toBe(3n);
      // a majority wrote each allocation over the peer links: at least two servers are past 3
      const before = await curIds(c.addrs, 'tls', good);
      expect(before.filter((v) => BigInt(v) >= 3n).length, before.join(',')).toBeGreaterThanOrEqual(2);

      const refused = {
        plaintext: {},
        certificateLess: { tls: { ca: p.ca.cert } },
        stranger: { tls: { cert: p.stranger.cert, key: p.stranger.key, ca: p.ca.cert } },
      };
      for (const [what, opts] of Object.entries(refused)) {
        for (const stream of [true, false]) {
          const s = new RRSeq('tls', 0, c.addrs, { ...opts, stream, callDeadlineMs: 500 });
          seqs.push(s);
          await expect(s.next({ timeoutMs: 1_200 }), `${what} (stream ${stream})`).rejects.toMatchObject({ code: 'ETIMEDOUT' });
          expect(s.lastError?.message, what).toBeTruthy();
        }
      }
      // nothing moved: the same current IDs, and the next good allocation follows on
      expect(await curIds(c.addrs, 'tls', good)).toEqual(before);
      expect(await leased.next({ timeoutMs: 30_000 })).toBe(4n);
    } finally {
      await Promise.all(seqs.map((s) => s.close()));
      await c.stop();
    }
  }, 120_000);
});

describe('rrseq TLS flags', () => {
  const runCli = (bin: string, args: string[]): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, [join(DIST, `${bin}.js`), ...args], { encoding: 'utf8', timeout: 60_000 });

  it('bad combinations and unreadable files: one named Error line, exit 2, nothing listens or dials', () => {
    expect(existsSync(join(DIST, 'rrseq-server.js'))).toBe(true);
    const persist = join(root, 'never', 'persist');
    const cases: Array<{ bin: string; args: string[]; code: RegExp; msg: RegExp }> = [
      { bin: 'rrseq-server', args: [':0', persist, ':1', ':2', '--tls-key', '/nonexistent.key'], code: /ETLSCONFIG/, msg: /--tls-key needs --tls-cert/ },
      { bin: 'rrseq-server', args: [':0', persist, ':1', ':2', '--tls-cert', '/nonexistent.crt', '--tls-key', '/nonexistent.key'], code: /ETLSFILE/, msg: /nonexistent/ },
      { bin: 'rrseq-client', args: ['s', '0', '10', ':19001', '--tls-cert', '/nonexistent.crt'], code: /ETLSCONFIG/, msg: /--tls-/ },
      { bin: 'rrseq-client', args: ['s', '0', '10', ':19001', '--tls-ca', '/nonexistent-ca.crt'], code: /ETLSFILE/, msg: /nonexistent-ca/ },
      { bin: 'rrseq-admin', args: ['status', ':19001', '--tls-key', '/nonexistent.key'], code: /ETLSCONFIG/, msg: /--tls-key needs --tls-cert/ },
    ];
    for (const t of cases) {
      const r = runCli(t.bin, t.args);
      const what = `${t.bin} ${t.args.join(' ')}: ${r.stderr}`;
      expect(r.status, what).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(/^Error: /);
      expect(lines[0], what).toMatch(t.code);
      expect(lines[0], what).toMatch(t.msg);
      expect(r.stdout, what).not.toMatch(/ready/);
    }
    expect(existsSync(join(root, 'never'))).toBe(false);
    // the servers take all four flags; the dialling CLIs all but --tls-client-auth
    const help = (bin: string, args: string[]): string => runCli(bin, [...args, '--help']).stdout;
    expect(help('rrseq-server', [])).toMatch(/--tls-cert[\s\S]*--tls-key[\s\S]*--tls-ca[\s\S]*--tls-client-auth/);
    for (const [bin, args] of [['rrseq-client', []], ['rrseq-admin', ['status']], ['rrseq-admin', ['init']], ['rrseq-admin', ['force-recover']]] as const) {
      const h = help(bin, [...args]);
      expect(h, bin).toMatch(/--tls-cert[\s\S]*--tls-key[\s\S]*--tls-ca/);
      expect(h, bin).not.toMatch(/^\s*--tls-client-auth/m);
    }
  }, 120_000);
});

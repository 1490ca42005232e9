// Test certificates made at test time with the openssl CLI: a CA, certificates it signs,
// and a second, unrelated CA whose certificates a mutual-TLS peer must refuse.
// EC P-256 keys keep generation to a few milliseconds per certificate.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from './errors.js';

/** A certificate and its private key, as PEM file paths, plus its serial as Node prints it. */
export interface TestCert {
  name: string;
  cert: string;
  key: string;
  /** upper-case hex, as `X509Certificate.serialNumber` and `getPeerCertificate().serialNumber` print it */
  serial: string;
}

export interface IssueOptions {
  /** subjectAltName IP entries (default ['127.0.0.1']) */
  ips?: string[];
  /** subjectAltName DNS entries (default ['localhost']) */
  dns?: string[];
  /** validity in days (default 2) */
  days?: number;
}

export interface TestCa {
  name: string;
  /** the CA certificate: what `--tls-ca` points at */
  cert: string;
  key: string;
  /** signs a new certificate (server and client use in one), with a fresh random serial */
  issue(name: string, opts?: IssueOptions): Promise<TestCert>;
}

/** Everything a TLS test usually needs, in one temp dir. */
export interface TestPki {
  dir: string;
  ca: TestCa;
  /** signed by `ca`, SAN 127.0.0.1 + localhost */
  server: TestCert;
  /** signed by `ca` (a client or a peer) */
  client: TestCert;
  /** a CA unrelated to `ca` */
  otherCa: TestCa;
  /** signed by `otherCa`: a peer presenting it must be refused */
  stranger: TestCert;
  /** deletes the directory */
  remove(): void;
}

export class CertError extends HarnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ECERT', message, options);
  }
}

/** True when the openssl CLI runs here. */
export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(new CertError(`openssl ${args[0]} failed: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkName(name: string): void {
  // The name becomes a file name and a subject CN: keep it to characters safe in both.
  if (!SAFE_NAME.test(name)) throw new CertError(`certificate name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`);
}

function serialOf(certPath: string): string {
  return new X509Certificate(readFileSync(certPath)).serialNumber;
}

/** Makes a self-signed CA in `dir` (files `<name>.crt`, `<name>.key`). */
export async function createTestCa(dir: string, name = 'qk-test-ca', days = 2): Promise<TestCa> {
  checkName(name);
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl([
    'req', '-x509', ...EC_KEY, '-days', String(days), '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', key, '-out', cert,
  ]);
  const ca: TestCa = {
    name,
    cert,
    key,
    async issue(leaf, opts = {}) {
      checkName(leaf);
      const leafCert = join(dir, `${leaf}.crt`);
      const leafKey = join(dir, `${leaf}.key`);
      const csr = join(dir, `${leaf}.csr`);
      const ext = join(dir, `${leaf}.ext`);
      const san = [...(opts.ips ?? ['127.0.0.1']).map((ip) => `IP:${ip}`), ...(opts.dns ?? ['localhost']).map((d) => `DNS:${d}`)];
      writeFileSync(
        ext,
        [
          `subjectAltName=${san.join(',')}`,
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
          '',
        ].join('\n'),
      );
      await openssl(['req', '-new', ...EC_KEY, '-subj', `/CN=${leaf}`, '-keyout', leafKey, '-out', csr]);
      // A random serial per certificate, so a reloaded certificate is told apart by it.
      const serial = `0x${randomBytes(8).toString('hex').replace(/^0/, '1')}`;
      await openssl([
        'x509', '-req', '-in', csr, '-CA', cert, '-CAkey', key, '-set_serial', serial,
        '-days', String(opts.days ?? days), '-extfile', ext, '-out', leafCert,
      ]);
      return { name: leaf, cert: leafCert, key: leafKey, serial: serialOf(leafCert) };
    },
  };
  return ca;
}

/**
 * A CA with a server and a client certificate, and an unrelated CA with one certificate, in a
 * fresh temp dir (or `opts.dir`). Call `remove()` in afterAll.
 */
export async function makeTestPki(opts: { dir?: string; ips?: string[]; dns?: string[] } = {}): Promise<TestPki> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'qk-pki-'));
  try {
    const ca = await createTestCa(dir, 'ca');
    const otherCa = await createTestCa(dir, 'other-ca');
    const san = { ips: opts.ips, dns: opts.dns };
    const [server, client, stranger] = await Promise.all([
      ca.issue('server', san),
      ca.issue('client', san),
      otherCa.issue('stranger', san),
    ]);
    return { dir, ca, server, client, otherCa, stranger, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// card-srv -c example/example.conf -p DIR -i 0|1|2
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { pino } from 'pino';
import { QuorumkitError } from '@quorumkit/shared-storage';
import { addTlsOptions, tlsFilesFromOptions, TlsReloader, type TlsFiles, type TlsOptionValues } from '@quorumkit/shared-transport';
import { parseConfig, validateConfig, configDefaults, type CardServerConfig } from '../server/config.js';
import { startCardServer } from '../server/cardServer.js';

// The package's own version (dist/cli/x.js and src/cli/x.ts both sit two levels below it).
const { version: packageVersion } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command()
  .name('card-srv')
  .version(packageVersion, '--version', 'print the version and exit')
  .description('Certain card server: the card gRPC service on 50050+id (or CardAddrs), peers on ServerAddrs')
  .option('-c, --config <file>', 'key=value config file')
  .option('-p, --path <dir>', 'data directory (holds logdb_<id> and datadb_<id>)')
  .option('-i, --id <n>', 'acceptor id (0..AcceptorNum-1)')
  .option('--card-addr <host:port>', 'override this server\'s card service address')
  .option('--log-level <level>', 'override LogLevel')
  .option('--metrics-addr <host:port>', 'serve Prometheus metrics on http://host:port/metrics')
  .option('--pretty', 'human-readable logs')
  .option('--bootstrap', 'first start of a NEW cluster: vote at once (never use it on a replica that lost its disk: it recovers by itself)');
// --tls-cert/--tls-key/--tls-ca/--tls-client-auth (docs/tls.md): the card port and the peer links
addTlsOptions(program);
program
  // The CLI convention (issue 23): a bad flag is one `Error:` line and one usage line on
  // stderr (not the whole help) and exit 2; --help and --version exit 0.
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'Error: ')) })
  .showHelpAfterError('usage: card-srv -c <file> -p <dir> -i <n> [options] (card-srv --help for all options)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

function fail(msg: string): never {
  process.stderr.write(`card-srv: ${msg}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{ config?: string; path?: string; id?: string; cardAddr?: string; logLevel?: string; pretty?: boolean; metricsAddr?: string; bootstrap?: boolean } & TlsOptionValues>();
  let tlsFiles: TlsFiles | undefined;
  try {
    tlsFiles = tlsFilesFromOptions(o, 'server');
  } catch (err) {
    // ETLSCONFIG / ETLSFILE: one named line, nothing listens
    fail(err instanceof QuorumkitError ? `${err.code}: ${err.message}` : String(err));
  }
  let cfg: CardServerConfig = { ...configDefaults };
  const warnings: string[] = [];
  try {
    if (o.config) {
      const parsed = parseConfig(readFileSync(o.config, 'utf8'));
      cfg = parsed.config;
      warnings.push(...parsed.warnings);
    }
    if (o.path !== undefined) cfg.path = o.path;
    if (o.id !== undefined) {
      if (!/^\d+$/.test(o.id)) throw new Error(`-i: expected an acceptor id, got "${o.id}"`);
      cfg.acceptorId = Number(o.id);
    }
    if (o.logLevel) cfg.logLevel = o.logLevel;
    if (o.cardAddr) {
      const list = cfg.cardAddrs ? [...cfg.cardAddrs] : Array.from({ length: cfg.acceptorNum }, (_, i) => `127.0.0.1:${50050 + i}`);
      list[cfg.acceptorId ?? 0] = o.cardAddr;
      cfg.cardAddrs = list;
    }
    validateConfig(cfg);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const pretty = o.pretty || process.stderr.isTTY;
  const log = pino(
    { level: cfg.logLevel, base: { srv: cfg.acceptorId } },
    pretty ? pino.transport({ target: 'pino-pretty', options: { destination: 2 } }) : pino.destination(2),
  );
  for (const w of warnings) log.warn(w);
  // One reloader for the card port, the peer listener and the peer dialers; SIGHUP reloads
  // them all (and without a handler SIGHUP would end the process).
  const tls = tlsFiles && new TlsReloader(tlsFiles, { logger: log });
  tls?.reloadOnSignal('SIGHUP');
  let srv;
  try {
    srv = await startCardServer(cfg, log, { metricsAddr: o.metricsAddr, bootstrap: o.bootstrap === true, ...(tls ? { tls } : {}) });
  } catch (err) {
    fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  log.info({ card: srv.cardAddr, peer: cfg.serverAddrs[cfg.acceptorId!], path: cfg.path }, `card-srv ${cfg.acceptorId} ready`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'shutting down');
    void srv.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();

// rrseq-server ADDR PATH PEER1 [PEERN...]: one RRServer, as in the seed's quickstart.
import { Command, Option } from 'commander';
import {
  QuorumkitError,
  TlsReloader,
  addTlsOptions,
  collectProcessMetrics,
  parseMetricsAddress,
  serveMetrics,
  tlsFilesFromOptions,
  type MetricsServer,
  type TlsFiles,
  type TlsOptionValues,
} from '@quorumkit/shared-transport';
import { RRServer } from '../server/rrServer.js';
import { cliConventions, cliLogger, intArg, onStopSignal } from './logger.js';

const program = cliConventions(new Command()
  .name('rrseq-server')
  .usage('ADDR PATH PEER1 [PEERN...]')
  .description('Start one RRServer. ADDR and peers are host:port (":19001" means 127.0.0.1:19001); PATH is the persist file (created if missing).')
  .argument('<addr>', 'address to listen on')
  .argument('<path>', 'persist file')
  .argument('<peers...>', 'the other servers of the cluster (at least two: 3 or 5 servers in all)')
  .option('--init', 'form a new cluster: once every server is up and blank, make them members (harmless on a server that already is one)')
  .option('--deadline-ms <ms>', 'how long one allocation may take before it answers [0,0)', '4000')
  .option('--names-max <n>', 'most sequence names this server stores; an allocation for one more is refused (ENAMESQUOTA)', '1000000')
  .option('--no-fsync', 'do not fsync the persist file (benchmarks only: a crash may then hand out duplicates)')
  .option('--metrics-addr <host:port>', 'serve Prometheus metrics over HTTP at http://host:port/metrics (":port" means 127.0.0.1)')
  // The flag's old name, so command lines written before every server said --metrics-addr still run.
  .addOption(new Option('--metrics <host:port>', 'old name of --metrics-addr').hideHelp())
  .option('--log-level <level>', 'pino log level', 'info')
  .option('--pretty', 'human-readable logs on stderr')
  );
// --tls-cert/--tls-key/--tls-ca/--tls-client-auth (docs/tls.md): the one port (clients, admin
// and peers) and the links this server dials to its peers
addTlsOptions(program);

program.parse();
const [addr, path, peers] = program.processedArgs as [string, string, string[]];
const o = program.opts<{ init?: boolean; deadlineMs: string; namesMax: string; fsync: boolean; metricsAddr?: string; metrics?: string; logLevel: string; pretty?: boolean } & TlsOptionValues>();
let tlsFiles: TlsFiles | undefined;
try {
  tlsFiles = tlsFilesFromOptions(o, 'server');
} catch (e) {
  // ETLSCONFIG / ETLSFILE: one named line, exit 2, nothing listens
  process.stderr.write(`Error: ${e instanceof QuorumkitError ? `${e.code}: ${e.message}` : String(e)}\n`);
  process.exit(2);
}
const metricsAddr = o.metricsAddr ?? o.metrics;
try {
  // A malformed address is refused before anything listens (a taken port only once we try it).
  if (metricsAddr !== undefined) parseMetricsAddress(metricsAddr);
} catch (e) {
  process.stderr.write(`rrseq-server: ${e instanceof QuorumkitError ? `${e.code}: ${e.message}` : String(e)}\n`);
  process.exit(1);
}
const log = cliLogger('rrseq-server', o.logLevel, o.pretty === true);
// One reloader for the server and every peer link: SIGHUP re-reads the files for both.
const tls = tlsFiles && new TlsReloader(tlsFiles, { logger: log });
tls?.reloadOnSignal('SIGHUP');
if ((peers.length + 1) % 2 === 0 && peers.length + 1 > 2) {
  // An even cluster tolerates no more failures than the odd one below it, and needs more servers per majority.
  log.warn({ servers: peers.length + 1 }, 'an even number of servers tolerates no more failures than one fewer: prefer 3 or 5');
  process.stderr.write(`rrseq-server: warning: ${peers.length + 1} servers tolerate as many failures as ${peers.length}; prefer an odd number\n`);
}

try {
  const server = await RRServer.start({
    addr,
    path,
    peers,
    fsync: o.fsync,
    deadlineMs: intArg('--deadline-ms', o.deadlineMs, 1),
    namesMax: intArg('--names-max', o.namesMax, 1),
    logger: log,
    ...(tls ? { tls } : {}),
    // `ready` means listening; `serving` means this replica holds a valid state and serves.
    onServing: () => process.stdout.write('serving\n'),
  });
  let metricsHttp: MetricsServer | undefined;
  if (metricsAddr !== undefined) {
    collectProcessMetrics(server.metrics);
    try {
      metricsHttp = await serveMetrics(metricsAddr, server.metrics);
    } catch (e) {
      // EMETRICSADDR (port in use): persist and stop the server rather than run unobserved
      await server.close();
      throw e;
    }
    log.info({ metrics: `http://${metricsHttp.address}/metrics` }, 'serving metrics');
  }
  onStopSignal(async (signal) => {
    log.info({ signal }, 'stopping');
    await metricsHttp?.close();
    await server.close();
  });
  if (!server.ready && !o.init) log.warn('this server has no valid state yet: it serves once it is bootstrapped (--init / rrseq-admin init) or has recovered from its peers');
  process.stdout.write('ready\n');
  if (o.init) void initLoop(server);
} catch (e) {
  process.stderr.write(`rrseq-server: ${e instanceof QuorumkitError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

/** Retry init while the other servers are not all up yet; stop on a real refusal. */
async function initLoop(server: RRServer): Promise<void> {
  for (;;) {
    if (server.ready) {
      log.info('--init: this server is a cluster member already');
      return;
    }
    const r = await server.init();
    if (r.ok) {
      log.info({ result: r.message }, 'cluster formed');
      return;
    }
    if (!/needs every server up|incomplete|another init|closing/.test(r.message)) {
      log.error({ result: r.message }, '--init refused');
      process.stderr.write(`rrseq-server: ${r.message}\n`);
      return;
    }
    if (/closing/.test(r.message)) return;
    log.info({ result: r.message }, '--init: waiting for every server');
    await new Promise((res) => setTimeout(res, 500));
  }
}

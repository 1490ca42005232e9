// paxoskv: serve one acceptor, run a local cluster, or set/get a key.
import { createRequire } from 'node:module';
import * as grpcJs from '@grpc/grpc-js';
import { Command, CommanderError, Option } from 'commander';
import { type TlsOptionValues, TlsReloader, tlsFilesFromOptions, tlsOptionSpecs } from '@quorumkit/shared-transport';
import type { Logger } from 'pino';
import { PaxosKvClient } from '../client/kvClient.js';
import { DEFAULT_CLUSTER_ID } from '../core/index.js';
import { serveAcceptors } from '../server/serveAcceptors.js';
import { startAcceptor, type AcceptorServer } from '../server/acceptorServer.js';
import { ACCEPTOR_BASE_PORT, defaultAcceptorAddress } from '../wire/protoPath.js';
import { exitCodeFor, fail } from './errors.js';
import { makeLogger } from './logger.js';
import { formatKvValue, parseAddress, parseAddressList, parseCount, parseValue, parseValueType, parseVersion } from './parse.js';

// The package's own version (dist/cli/x.js and src/cli/x.ts both sit two levels below it).
const { version: packageVersion } = createRequire(import.meta.url)('../../package.json') as { version: string };

// grpc-js would print its own copy of every bind/connect error; ours is the one clear line.
grpcJs.setLogVerbosity(grpcJs.logVerbosity.NONE);

const DEFAULT_ACCEPTORS = [0, 1, 2].map(defaultAcceptorAddress).join(',');

function onShutdown(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function clientFrom(o: { acceptors: string; timeoutMs: string; clusterId: string } & TlsOptionValues): PaxosKvClient {
  const acceptors = parseAddressList(o.acceptors);
  const deadlineMs = parseCount(o.timeoutMs, '--timeout-ms', 1, 3_600_000);
  // a one-shot client reads its TLS files once (ETLSCONFIG / ETLSFILE exit 2 before any call)
  const tls = tlsFilesFromOptions(o, 'client');
  return new PaxosKvClient({ acceptors, deadlineMs, phaseTimeoutMs: Math.min(1_500, deadlineMs), clusterId: o.clusterId, ...(tls ? { link: { tls } } : {}) });
}

/** A server's TLS: one reloader for its port and its diallers, re-read on SIGHUP (docs/tls.md). */
function serverTls(o: TlsOptionValues, logger: Logger): TlsReloader | undefined {
  const files = tlsFilesFromOptions(o, 'server');
  if (!files) return undefined;
  const tls = new TlsReloader(files, { logger });
  tls.reloadOnSignal('SIGHUP');
  return tls;
}

// the shared flag texts (docs/tls.md); clients take cert/key/ca, servers also --tls-client-auth
const TLS_HELP = Object.fromEntries(
  [['cert', '--tls-cert <file>'], ['key', '--tls-key <file>'], ['ca', '--tls-ca <file>'], ['clientAuth', '--tls-client-auth']].map(([k, f]) => [k, tlsOptionSpecs.find((x) => x.flags === f)!.description]),
) as Record<'cert' | 'key' | 'ca' | 'clientAuth', string>;

const CLUSTER_ID_HELP = 'cluster name; clients must name the same one';
// the servers' pino log levels (set/get do not log: they print their result and one error line)
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const logLevelOption = (): Option => new Option('--log-level <level>', 'server log level (stderr)').choices(LOG_LEVELS).default('info');
const UNNAMED_HELP = 'refuse requests that name no cluster (clients built from the seed proto); default: served';

const program = new Command('paxoskv')
  .version(packageVersion, '--version', 'print the version and exit')
  .description('classic Paxos key-version store: one Paxos instance per (key, version)')
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(`Error: ${str.replace(/^error: /, '').trim()}\n`) });

program
  .command('serve')
  .description('run one acceptor')
  .option('--id <n>', 'acceptor id (default port 3333+id)', '0')
  .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:3333+id)')
  .option('--data <dir>', 'data directory (default ./paxoskv-data/acceptor<id>)')
  .option('--cluster-id <name>', CLUSTER_ID_HELP, DEFAULT_CLUSTER_ID)
  .option('--members <n>', 'how many acceptors the cluster has (clients must list exactly that many)', '3')
  .option('--no-unnamed-clients', UNNAMED_HELP)
  .option('--peers <list>', 'every member address in id order (a RECOVERING acceptor re-learns from the others); sets --members')
  .option('--bootstrap', 'create the cluster: a fresh data directory votes at once (first start of a new cluster only)')
  .addOption(new Option('--on-damaged <what>', 'damaged state: recover (move aside, re-learn) or refuse to start').choices(['recover', 'refuse']).default('recover'))
  .option('--metrics-addr <host:port>', 'serve Prometheus metrics on GET /metrics at this address')
  .addOption(logLevelOption())
  .option('--pretty', 'human-readable logs')
  .option('--tls-cert <file>', TLS_HELP.cert)
  .option('--tls-key <file>', TLS_HELP.key)
  .option('--tls-ca <file>', TLS_HELP.ca)
  .option('--tls-client-auth', TLS_HELP.clientAuth)
  .action(async (o: TlsOptionValues & {
    id: string;
    metricsAddr?: string;
    listen?: string;
    data?: string;
    pretty?: boolean;
    logLevel: string;
    clusterId: string;
    members: string;
    unnamedClients: boolean;
    peers?: string;
    bootstrap?: boolean;
    onDamaged: 'recover' | 'refuse';
  }) => {
    const peers = o.peers ? parseAddressList(o.peers) : undefined;
    const members = peers ? peers.length : parseCount(o.members, '--members', 1, 99);
    const id = parseCount(o.id, '--id', 0, members - 1);
    const address = o.listen ? parseAddress(o.listen, true) : defaultAcceptorAddress(id);
    const logger = makeLogger({ pretty: o.pretty, level: o.logLevel });
    const tls = serverTls(o, logger);
    const server = await startAcceptor({
      ...(tls ? { tls } : {}),
      id,
      address,
      data: o.data ?? `paxoskv-data/acceptor${id}`,
      logger,
      clusterId: o.clusterId,
      members,
      allowUnnamedClients: o.unnamedClients,
      bootstrap: o.bootstrap ?? false,
      onDamaged: o.onDamaged,
      ...(peers ? { peers } : {}),
      ...(o.metricsAddr ? { metricsAddress: parseAddress(o.metricsAddr, true) } : {}),
    });
    process.stdout.write(`acceptor ${id} listening on ${server.address}\n`);
    if (server.metricsAddress) process.stdout.write(`acceptor ${id} metrics on http://${server.metricsAddress}/metrics\n`);
    if (server.mode() === 'recovering') {
      process.stdout.write(`acceptor ${id} RECOVERING: ${server.startMessage}\n`);
      if (!peers) process.stdout.write(`acceptor ${id}: give --peers with every member's address so it can re-learn\n`);
      void server.recovered.then(() => {
        if (server.mode() === 'voting') process.stdout.write(`acceptor ${id} recovered: voting again above ballot ${server.store.floor ? `(${server.store.floor.n},${server.store.floor.proposerId})` : '(0,0)'}\n`);
      });
    }
    onShutdown(() => server.close());
  });

program
  .command('cluster')
  .description('run N acceptors in this one process (for trying paxoskv out)')
  .option('--nodes <n>', 'number of acceptors', '3')
  .option('--data <dir>', 'data directory (acceptor i uses <dir>/acceptor<i>)', 'paxoskv-data')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--base-port <port>', 'acceptor i listens on base-port + i', String(ACCEPTOR_BASE_PORT))
  .option('--cluster-id <name>', CLUSTER_ID_HELP, DEFAULT_CLUSTER_ID)
  .option('--no-unnamed-clients', UNNAMED_HELP)
  .addOption(logLevelOption())
  .option('--pretty', 'human-readable logs')
  .option('--tls-cert <file>', TLS_HELP.cert)
  .option('--tls-key <file>', TLS_HELP.key)
  .option('--tls-ca <file>', TLS_HELP.ca)
  .option('--tls-client-auth', TLS_HELP.clientAuth)
  .action(async (o: TlsOptionValues & { nodes: string; data: string; host: string; basePort: string; pretty?: boolean; logLevel: string; clusterId: string; unnamedClients: boolean }) => {
    const n = parseCount(o.nodes, '--nodes', 1, 99);
    const basePort = parseCount(o.basePort, '--base-port', 1, 65535 - n);
    parseAddress(`${o.host}:${basePort}`);
    const logger = makeLogger({ pretty: o.pretty, level: o.logLevel });
    const tls = serverTls(o, logger);
    const servers: AcceptorServer[] = await serveAcceptors(n, { data: o.data, host: o.host, basePort, logger, clusterId: o.clusterId, allowUnnamedClients: o.unnamedClients, ...(tls ? { tls } : {}) });
    for (const s of servers) {
      process.stdout.write(`acceptor ${s.id} listening on ${s.address}${s.mode() === 'recovering' ? ' (RECOVERING: re-learning from the others)' : ''}\n`);
      void s.recovered.then(() => {
        if (s.store.floor && s.mode() === 'voting') process.stdout.write(`acceptor ${s.id} recovered\n`);
      });
    }
    process.stdout.write(`cluster ready: ${n} acceptors, data in ${o.data}; try: paxoskv set foo 5 && paxoskv get foo\n`);
    onShutdown(async () => {
      await Promise.allSettled(servers.map((s) => s.close()));
    });
  });

program
  .command('set')
  .description('write VALUE at the next free version of KEY (or at --ver)')
  .argument('<key>')
  .argument('<value>')
  .option('--ver <n>', 'write this version, the seed way (the first value chosen there wins)')
  .addOption(new Option('--type <type>', 'value type: auto (integer literal = int64), int or string').default('auto'))
  .option('--acceptors <list>', 'acceptor addresses, comma-separated', DEFAULT_ACCEPTORS)
  .option('--timeout-ms <ms>', 'give up after this long', '3000')
  .option('--cluster-id <name>', CLUSTER_ID_HELP, DEFAULT_CLUSTER_ID)
  .option('--json', 'print JSON')
  .option('--tls-cert <file>', TLS_HELP.cert)
  .option('--tls-key <file>', TLS_HELP.key)
  .option('--tls-ca <file>', TLS_HELP.ca)
  .action(async (key: string, raw: string, o: TlsOptionValues & { ver?: string; type: string; acceptors: string; timeoutMs: string; json?: boolean; clusterId: string }) => {
    const value = parseValue(raw, parseValueType(o.type));
    const ver = o.ver !== undefined ? parseVersion(o.ver) : undefined;
    const client = clientFrom(o);
    try {
      const r = await client.set(key, value, ver === undefined ? {} : { ver });
      if (o.json) process.stdout.write(JSON.stringify({ key, ver: r.ver.toString(), value: formatKvValue(r.value), written: r.written }) + '\n');
      else if (r.written) process.stdout.write(`written: ${formatKvValue(r.value)}; key: ${key}; ver: ${r.ver}\n`);
      else process.stdout.write(`not written: ${key} version ${r.ver} already holds ${formatKvValue(r.value)}\n`);
      process.exitCode = r.written ? 0 : 1;
    } finally {
      client.close();
    }
  });

program
  .command('get')
  .description('read the latest chosen version of KEY (or --ver)')
  .argument('<key>')
  .option('--ver <n>', 'read this version')
  .option('--acceptors <list>', 'acceptor addresses, comma-separated', DEFAULT_ACCEPTORS)
  .option('--timeout-ms <ms>', 'give up after this long', '3000')
  .option('--cluster-id <name>', CLUSTER_ID_HELP, DEFAULT_CLUSTER_ID)
  .option('--json', 'print JSON')
  .option('--tls-cert <file>', TLS_HELP.cert)
  .option('--tls-key <file>', TLS_HELP.key)
  .option('--tls-ca <file>', TLS_HELP.ca)
  .action(async (key: string, o: TlsOptionValues & { ver?: string; acceptors: string; timeoutMs: string; json?: boolean; clusterId: string }) => {
    const ver = o.ver !== undefined ? parseVersion(o.ver) : undefined;
    const client = clientFrom(o);
    try {
      const r = await client.get(key, ver === undefined ? {} : { ver });
      if (!r) {
        if (o.json) process.stdout.write(JSON.stringify({ key, found: false }) + '\n');
        else process.stdout.write(`not found: ${key}${ver === undefined ? '' : ` version ${ver}`}\n`);
        process.exitCode = 1;
        return;
      }
      if (o.json) process.stdout.write(JSON.stringify({ key, ver: r.ver.toString(), value: formatKvValue(r.value), found: true }) + '\n');
      else process.stdout.write(`read:    ${formatKvValue(r.value)}; key: ${key}; ver: ${r.ver}\n`);
    } finally {
      client.close();
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its one line (or help/version)
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  fail(e);
  process.exit(exitCodeFor(e));
}

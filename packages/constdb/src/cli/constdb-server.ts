// constdb-server [constdb.toml] [-c FILE] [--port N] ... : starts one node.
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { addTlsOptions, QuorumkitError } from '@quorumkit/shared-transport';
import { loadConfig, ConfigError } from '../server/config.js';
import { startNode } from '../server/start.js';
import { tlsFromConfig } from '../server/tlsConfig.js';

// The package's own version (dist/cli/x.js and src/cli/x.ts both sit two levels below it).
const { version: packageVersion } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command()
  .name('constdb-server')
  .version(packageVersion, '--version', 'print the version and exit')
  .description('Redis-protocol cache with active-active CRDT replication')
  .argument('[config]', 'path of constdb.toml')
  .option('-c, --config <file>', 'path of constdb.toml')
  .option('--node-id <n>', 'node id (unique in the cluster)')
  .option('--node-alias <name>', 'node alias')
  .helpOption('--help', 'display help for command')
  .option('--ip <addr>', 'address to bind and announce (default 127.0.0.1)')
  .option('-h, --host <addr>', 'the same as --ip (like redis-server -h)')
  .option('-p, --port <n>', 'port (default 9001)')
  .option('--work-dir <dir>', 'directory for the snapshot and AOF')
  .option('--log <file>', 'log file, or stdout/stderr')
  .option('--log-level <level>', 'trace|debug|info|warn|error|off')
  .option('--requirepass <password>', 'password for clients and peers')
  .option('--appendonly <yes|no>', 'keep an append-only file of own ops')
  .option('--appendfsync <mode>', 'always|everysec|no')
  .option('--snapshot-interval <sec>', 'seconds between periodic snapshots (0: only at shutdown)')
  .option('--repl-backlog-limit <bytes>', 'replication backlog size in bytes')
  .option('--replica-heartbeat-frequency <sec>', 'seconds between heartbeats to replicas')
  .option('--proto-max-bulk-len <bytes>', 'largest bulk string accepted')
  .option('--client-query-buffer-limit <bytes>', "a client's unprocessed input above this closes that client")
  .option('--client-output-buffer-limit <bytes>', "a client's unread replies above this close that client")
  .option('--peer-addrs <list>', 'addresses to dial for given peer ids: "2=host:port,3=host:port"')
  .option('--repl-timeout <sec>', 'drop a silent replication link after this many seconds')
  .option('--gc-interval-ms <ms>', 'tombstone GC interval')
  .option('--anti-entropy-interval-ms <ms>', 'compare digests with a replica this often (0: never)')
  .option('--pretty', 'human-readable logs')
  .option('--metrics-addr <host:port>', 'serve Prometheus metrics at GET /metrics on this address (off by default; a bare port binds 127.0.0.1)')
  // The CLI convention (issue 23): a bad flag is one `Error:` line and one usage line on
  // stderr (not the whole help) and exit 2; --help and --version exit 0.
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'Error: ')) })
  .showHelpAfterError('usage: constdb-server [constdb.toml] [options] (constdb-server --help for all options)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

// --tls-cert --tls-key --tls-ca --tls-client-auth (docs/tls.md); also tls_* in constdb.toml
addTlsOptions(program);

program.parse();
const opts = program.opts<Record<string, string | boolean | undefined>>();
const file = (opts.config as string | undefined) ?? program.args[0];
const overrides: Record<string, unknown> = {};
for (const k of ['nodeId', 'nodeAlias', 'ip', 'port', 'workDir', 'log', 'logLevel', 'requirepass', 'appendonly', 'appendfsync',
  'snapshotInterval', 'replBacklogLimit', 'replicaHeartbeatFrequency', 'protoMaxBulkLen', 'clientQueryBufferLimit', 'clientOutputBufferLimit', 'peerAddrs', 'replTimeout', 'gcIntervalMs', 'antiEntropyIntervalMs',
  'tlsCert', 'tlsKey', 'tlsCa', 'tlsClientAuth', 'metricsAddr']) {
  if (opts[k] !== undefined) overrides[k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())] = opts[k];
}
if (opts.host !== undefined && opts.ip === undefined) overrides.ip = opts.host;

let cfg;
try {
  cfg = loadConfig(file, overrides);
  // checked before anything is opened: bad TLS flags are one line and exit 2, as in every
  // quorumkit server (the node makes its own reloader, logging reloads through pino)
  tlsFromConfig(cfg, { info: () => undefined, error: () => undefined });
} catch (e) {
  if (e instanceof QuorumkitError && /^ETLS/.test(e.code)) {
    process.stderr.write(`Error: ${e.code}: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`constdb-server: ${(e as Error).message}\n`);
  process.exit(1);
}

try {
  await startNode(cfg, { pretty: opts.pretty === true });
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`constdb-server: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`constdb-server: ${(e as Error).message}\n`);
  process.exit(1);
}

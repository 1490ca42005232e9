// csp-paxos CLI: node | run | check | run-and-check | propose | status
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import { QuorumkitError } from '@quorumkit/shared-storage';
import { type TlsFiles, type TlsOptionValues, TlsReloader, parseMetricsAddress, tlsFilesFromOptions, tlsOptionSpecs } from '@quorumkit/shared-transport';
import { CLIENT_DEFAULTS, type CommittedEntry, NodeConnection, nodeStatus, propose } from '../client/client.js';
import { ConfigError, DEFAULT_BASE_PORT, type Member, PORT_STRIDE, committeeFromPorts, defaultCommittee, parseDurationMs, parsePortList, parseSyncDeadlineMs, parseSecret, readConfigFile, readSecretFile, resolveRank } from '../server/config.js';
import { parseFaults } from '../server/faults.js';
import { CspPaxosNode } from '../server/node.js';
import { type RunOptions, type RunResult, runCluster } from '../server/runner.js';
import { checkDir } from './checkDir.js';
import { runProblemLines } from './runReport.js';

// The package's own version (dist/cli/x.js and src/cli/x.ts both sit two levels below it).
const { version: packageVersion } = createRequire(import.meta.url)('../../package.json') as { version: string };

const CLI_PATH = fileURLToPath(import.meta.url);

function int(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function ports(n: number, o: { ports?: string; basePort?: number }): number[] {
  if (o.ports) {
    const p = parsePortList(o.ports);
    if (p.length !== n) throw new ConfigError(`--ports lists ${p.length} ports for ${n} nodes`);
    return p;
  }
  return defaultCommittee(n, o.basePort ?? DEFAULT_BASE_PORT).map((m) => m.port);
}

// --tls-cert/--tls-key/--tls-ca/--tls-client-auth (docs/tls.md): a node serves its client and
// peer ports with them and dials its peers with the same certificate; the client commands
// take cert/key/ca. Bad flags are one `Error: ETLSCONFIG|ETLSFILE: ...` line and exit 2.
const TLS_SERVER_SPECS = tlsOptionSpecs;
const TLS_CLIENT_SPECS = tlsOptionSpecs.filter((x) => x.flags !== '--tls-client-auth');

function withTlsOptions(c: Command, specs: readonly { flags: string; description: string }[]): Command {
  for (const x of specs) c.option(x.flags, x.description);
  return c;
}

function tlsFilesOrExit(o: TlsOptionValues, role: 'server' | 'client'): TlsFiles | undefined {
  try {
    return tlsFilesFromOptions(o, role);
  } catch (e) {
    if (e instanceof QuorumkitError) {
      console.error(`Error: ${e.code}: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The node's logger: JSON lines on stderr, or pino-pretty's human form with --pretty. */
function makeLogger(level: string, pretty: boolean): pino.Logger {
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  return pino({ level }, pretty ? pinoPretty({ destination: 2, sync: true, colorize: false }) : pino.destination({ fd: 2, sync: true }));
}

/** --metrics-addr: "host:port", ":port" or "port" (127.0.0.1); checked here so a typo is exit 2. */
function metricsAddress(v: string): string {
  parseMetricsAddress(v);
  return v;
}

const program = new Command('csp-paxos')
  .version(packageVersion, '--version', 'print the version and exit')
  .description('CSP-style multi-Paxos replicated log (Yet Another Simple Paxos, with real ballots)')
  // The CLI convention (issue 23), inherited by every subcommand added below: a bad flag or
  // argument is one `Error:` line and one usage line on stderr and exit 2; --help, --version 0.
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'Error: ')) })
  .showHelpAfterError('usage: csp-paxos <node|run|check|run-and-check|propose|read|tail|status> [options] (csp-paxos <command> --help)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const nodeCommand = program
  .command('node')
  .description('run one node until -t seconds pass')
  .option('-i, --rank <rank>', 'rank id (or the id in --config; both must agree)', int('rank'))
  .option('-o, --timeout <duration>', 'channel / leader timeout, seconds (or 200ms)', '10')
  .option('-l, --interval <slots>', 'max slots a leader proposes in its round', int('interval', 1), 100)
  .option('-t, --time <seconds>', 'run time, then stop', '50')
  .option('--config <file>', 'JSON {id, n, f, port, committee:[{id, host, port}]}')
  .option('--log-dir <dir>', 'where instancelog<i>.log goes', '.')
  .option('--data-dir <dir>', 'acceptor state (default <log-dir>/data<i>)')
  .option('-n, --nodes <n>', 'committee size without --config', int('nodes', 1), 5)
  .option('--ports <list>', 'listen ports of all nodes, comma separated')
  .option('--base-port <port>', 'node i listens on base + 10*i', int('base-port', 1), DEFAULT_BASE_PORT)
  .option('--peer-ports <list>', 'peer listen ports of all nodes, comma separated (default: each client port + 1)')
  .option('--dial-ports <list>', 'ports to dial peers on when they differ from their peer ports (proxies)')
  .option('--secret-file <file>', 'shared peer secret (>= 16 chars); also env CSP_PAXOS_SECRET or config secretFile. Peers without it are refused')
  .option('--allow-control', 'answer "block" (partition) control requests on the client port; refused by default')
  .option('--batch <slots>', 'slots per PROPOSE', int('batch', 1))
  .option('--window <batches>', 'batches in flight', int('window', 1))
  .option('--compact-every <slots>', 'compact the acceptor log every this many committed slots (0: never; default 262144)', int('compact-every', 0))
  .option('--sync-deadline <duration>', 'stop the node (exit 3, EACCEPTORSTALL) when an acceptor-log write + fdatasync runs longer; seconds or 500ms / 30s, 1ms-3600s', (v: string) => {
    try {
      return parseSyncDeadlineMs(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  }, 30_000)
  .option('--no-generate', 'only propose client values (no self-invented instances)')
  .option('--metrics-addr <host:port>', 'serve Prometheus /metrics there (off by default; a bare port or :port is 127.0.0.1)')
  .addOption(new Option('--log-level <level>', 'server log level (default: env LOG_LEVEL, else warn)').choices(LOG_LEVELS))
  .option('--pretty', 'human-readable logs on stderr instead of JSON lines')
  .option('--bootstrap', 'create a new cluster: an empty data directory votes at once (without it, it re-learns from the others first)')
  .addOption(new Option('--no-fsync', 'do not fsync acceptor state (experiments only)').hideHelp())
  .addOption(new Option('--stop-at <epochMs>', 'stop at this wall-clock time').argParser(int('stop-at')).hideHelp());
withTlsOptions(nodeCommand, TLS_SERVER_SPECS)
  .action(async (o) => {
    const tlsFiles = tlsFilesOrExit(o as TlsOptionValues, 'server');
    let committee: Member[];
    let id: number;
    let secretFile: string | undefined = o.secretFile;
    let allowControl = o.allowControl === true;
    if (o.config) {
      const c = readConfigFile(o.config);
      committee = c.committee ?? defaultCommittee(c.n ?? o.nodes, c.port !== undefined && c.id !== undefined ? c.port - PORT_STRIDE * c.id : o.basePort);
      id = resolveRank(o.rank, c);
      secretFile ??= c.secretFile;
      allowControl ||= c.allowControl === true;
    } else {
      committee = committeeFromPorts(ports(o.nodes, o), '127.0.0.1', o.peerPorts ? parsePortList(o.peerPorts) : undefined);
      id = resolveRank(o.rank, undefined);
    }
    const envSecret = process.env.CSP_PAXOS_SECRET;
    const secret = secretFile ? readSecretFile(resolve(secretFile)) : envSecret ? parseSecret(envSecret, 'CSP_PAXOS_SECRET') : undefined;
    const timeoutMs = parseDurationMs(o.timeout);
    const seconds = Number(o.time);
    if (!(seconds > 0)) throw new ConfigError(`-t must be a positive number of seconds, got "${o.time}"`);
    const logger = makeLogger(o.logLevel ?? process.env.LOG_LEVEL ?? 'warn', o.pretty === true);
    // One reloader for the client port, the peer port and the peer links; SIGHUP re-reads it
    // (without the handler, SIGHUP would end the process).
    const tls = tlsFiles && new TlsReloader(tlsFiles, { logger });
    tls?.reloadOnSignal('SIGHUP');
    const node = await CspPaxosNode.start({
      id,
      committee,
      logDir: resolve(o.logDir),
      dataDir: o.dataDir ? resolve(o.dataDir) : undefined,
      dialPorts: o.dialPorts ? parsePortList(o.dialPorts) : undefined,
      secret,
      ...(tls ? { tls } : {}),
      allowControl,
      fsync: o.fsync,
      acceptorLog: { syncDeadlineMs: o.syncDeadline },
      bootstrap: o.bootstrap === true,
      stopAtMs: o.stopAt ?? Date.now() + seconds * 1000,
      ...(o.metricsAddr !== undefined ? { metricsAddr: metricsAddress(o.metricsAddr) } : {}),
      logger,
      core: {
        timeoutMs,
        interval: o.interval,
        generate: o.generate,
        ...(o.batch ? { batchSlotsMax: o.batch } : {}),
        ...(o.window ? { windowBatchesMax: o.window } : {}),
        ...(o.compactEvery !== undefined ? { compactEverySlots: o.compactEvery } : {}),
        retryMs: Math.max(20, Math.min(200, Math.floor(timeoutMs / 4))),
      },
    });
    const port = committee.find((m) => m.id === id)!.port;
    console.log(`csp-paxos node ${id} listening on ${committee.find((m) => m.id === id)!.host}:${port}${node.metricsAddress ? ` (metrics on http://${node.metricsAddress}/metrics)` : ''}`);
    const stop = (): void => void node.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await node.done;
    logger.info({ commitIndex: node.statusSnapshot().commitIndex }, 'stopped');
    if (node.failure) {
      console.error(`csp-paxos node ${id} stopped: ${(node.failure as { code?: string }).code ?? 'ERROR'}: ${node.failure.message}`);
      process.exit(3);
    }
    process.exit(0);
  });

function addRunOptions(c: Command): Command {
  // The nodes serve TLS with these flags, and the runner's own status and control
  // connections present the same certificate (docs/tls.md).
  withTlsOptions(c, TLS_SERVER_SPECS);
  return c
    .option('-n, --nodes <n>', 'number of nodes', int('nodes', 1), 5)
    .option('-o, --timeout <duration>', 'channel / leader timeout, seconds (or 200ms)', '1')
    .option('-l, --interval <slots>', 'max slots a leader proposes in its round', int('interval', 1), 100)
    .option('-t, --time <seconds>', 'run time', '5')
    .option('--ports <list>', 'listen ports, comma separated')
    .option('--peer-ports <list>', 'peer listen ports, comma separated (default: each port + 1)')
    .option('--base-port <port>', 'node i listens on base + 10*i', int('base-port', 1), DEFAULT_BASE_PORT)
    .option('--kill <schedule>', 'e.g. "leader@1500:3000;2@2s"')
    .option('--pause <schedule>', 'e.g. "1@1s:2s"')
    .option('--partition <schedule>', 'e.g. "0,1|2,3,4@1s:3s"');
}

/** The node flags and the runner's client TLS for `run` / `run-and-check` (undefined: plaintext). */
function runTls(o: TlsOptionValues): RunOptions['tls'] {
  const files = tlsFilesOrExit(o, 'server');
  if (!files) return undefined;
  const nodeArgs = ['--tls-cert', resolve(files.cert!), '--tls-key', resolve(files.key!), ...(files.ca ? ['--tls-ca', resolve(files.ca)] : []), ...(files.requireClientCert ? ['--tls-client-auth'] : [])];
  return { nodeArgs, client: new TlsReloader({ cert: files.cert, key: files.key, ...(files.ca ? { ca: files.ca } : {}) }) };
}

async function doRun(o: Record<string, any>, logDir: string, overrides: { interval?: number } = {}): Promise<RunResult> {
  const n = o.nodes as number;
  const faults = parseFaults({ kill: o.kill, pause: o.pause, partition: o.partition }, n);
  const tls = runTls(o as TlsOptionValues);
  return runCluster({
    nodes: n,
    ports: ports(n, o),
    ...(o.peerPorts ? { peerPorts: parsePortList(o.peerPorts) } : {}),
    logDir,
    timeoutArg: String(o.timeout),
    interval: overrides.interval ?? o.interval,
    seconds: Number(o.time),
    faults,
    cliPath: CLI_PATH,
    ...(tls ? { tls } : {}),
    log: (l) => console.error(`[run] ${l}`),
  });
}

addRunOptions(program.command('run').description('start the nodes, apply faults, wait for them to stop'))
  .option('--log-dir <dir>', 'where the logs go', 'logs')
  .action(async (o) => {
    const dir = resolve(o.logDir);
    const r = await doRun(o, dir);
    const problems = runProblemLines(r, dir);
    for (const l of problems) console.error(l);
    if (r.problems.length > 0) process.exitCode = 1;
  });

program
  .command('check')
  .description("check the logs against the seed's three rules")
  .option('-n, --nodes <n>', 'number of nodes', int('nodes', 1), 5)
  .option('--log-dir <dir>', 'where the logs are', 'logs')
  .option('--lag-max <slots>', "also check that every live node ends within this many slots of the furthest (beside the seed's rules)", int('lag-max'))
  .option('--live <ranks>', 'nodes that were up at the end (for --lag-max), comma separated')
  .action((o) => {
    const live = o.live ? String(o.live).split(',').map((x: string) => int('live')(x.trim())) : undefined;
    const r = checkDir(resolve(o.logDir), o.nodes, { lagMax: o.lagMax, liveNodes: live });
    console.log(r.report);
    if (!r.ok) process.exitCode = 1;
  });

addRunOptions(program.command('run-and-check').description('the seed scenarios: low pressure (-o 1 -l 100 -t 5) and high pressure (-l 10000)'))
  .option('--log-dir <dir>', 'where the logs go (default: a fresh temp dir)')
  .action(async (o) => {
    const base = o.logDir ? resolve(o.logDir) : mkdtempSync(join(tmpdir(), 'csp-paxos-'));
    let ok = true;
    for (const [name, interval] of [['low', o.interval as number], ['high', 10_000]] as const) {
      console.log(`Check on ${name} pressure`);
      const dir = join(base, name);
      const run = await doRun(o, dir, { interval });
      const r = checkDir(dir, o.nodes);
      console.log(r.report);
      // The cause beside the verdict: a node that died, or one that never committed, with
      // its exit code and the end of its output.
      for (const l of runProblemLines(run, dir, r)) console.log(l);
      ok &&= r.ok && run.problems.length === 0;
    }
    console.error(`logs in ${base}`);
    if (!ok) process.exitCode = 1;
  });

const proposeCommand = program
  .command('propose')
  .description('commit a value through the leader and print its slot')
  .argument('<data>', 'the value')
  .option('-n, --nodes <n>', 'number of nodes', int('nodes', 1), 5)
  .option('--ports <list>', 'node ports, comma separated')
  .option('--base-port <port>', 'node i listens on base + 10*i', int('base-port', 1), DEFAULT_BASE_PORT)
  .option('--host <host>', 'host the nodes listen on', CLIENT_DEFAULTS.host)
  .option('--json', 'print {"slot": N} instead of the seed\'s line')
  .option('--timeout-ms <ms>', 'give up after', int('timeout-ms', 1), 10_000)
  .option('--client-id <id>', 'idempotent proposal: this client id ...')
  .option('--seq <n>', '... and this sequence number (a retry with both cannot commit twice)', int('seq', 0));
withTlsOptions(proposeCommand, TLS_CLIENT_SPECS)
  .action(async (data: string, o) => {
    const tls = tlsFilesOrExit(o as TlsOptionValues, 'client');
    if ((o.clientId === undefined) !== (o.seq === undefined)) throw new ConfigError('--client-id and --seq go together');
    const slot = await propose(data, { ports: ports(o.nodes, o), host: o.host, timeoutMs: o.timeoutMs, client: o.clientId, seq: o.seq, ...(tls ? { tls } : {}) });
    console.log(o.json ? JSON.stringify({ slot }) : `committed in seq ${slot}`);
  });

/** One committed entry: "slot key data" (data JSON-quoted), or with --json one JSON object per line. */
const printEntry = (e: CommittedEntry, json: boolean): void => console.log(json ? JSON.stringify(e) : `${e.slot} ${e.key}${e.data === undefined ? '' : ` ${JSON.stringify(e.data)}`}`);

const readCommand = program
  .command('read')
  .description('print committed entries (slot, key, data) from a slot')
  .option('--port <port>', 'client port of the node to read from', int('port', 1), DEFAULT_BASE_PORT)
  .option('--host <host>', 'host of that node', CLIENT_DEFAULTS.host)
  .option('--json', 'one JSON object {slot, key, data} per line')
  .option('--from <slot>', 'first slot', int('from', 0), 0)
  .option('--max <n>', 'entries at most', int('max', 1), 100);
withTlsOptions(readCommand, TLS_CLIENT_SPECS)
  .action(async (o) => {
    const tls = tlsFilesOrExit(o as TlsOptionValues, 'client');
    const c = await NodeConnection.open(o.port, o.host, undefined, tls);
    try {
      let next = o.from as number;
      const end = next + (o.max as number);
      while (next < end) {
        const { entries } = await c.read(next, end - next);
        if (entries.length === 0) break;
        for (const e of entries) printEntry(e, o.json === true);
        next = entries[entries.length - 1]!.slot + 1;
      }
    } finally {
      c.close();
    }
  });

const tailCommand = program
  .command('tail')
  .description('follow the committed log from a slot, printing each entry as it commits')
  .option('--port <port>', 'client port of the node to read from', int('port', 1), DEFAULT_BASE_PORT)
  .option('--host <host>', 'host of that node', CLIENT_DEFAULTS.host)
  .option('--json', 'one JSON object {slot, key, data} per line')
  .option('--from <slot>', 'first slot', int('from', 0), 0)
  .option('--count <n>', 'stop after this many entries (default: follow until interrupted)', int('count', 1));
withTlsOptions(tailCommand, TLS_CLIENT_SPECS)
  .action(async (o) => {
    const tls = tlsFilesOrExit(o as TlsOptionValues, 'client');
    const c = await NodeConnection.open(o.port, o.host, undefined, tls);
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    let seen = 0;
    try {
      for await (const e of c.tail(o.from as number, { signal: stop.signal })) {
        printEntry(e, o.json === true);
        if (o.count !== undefined && ++seen >= (o.count as number)) break;
      }
    } finally {
      c.close();
    }
  });

const statusCommand = program
  .command('status')
  .description("print every node's round, leader and commit index; exit 0 when every node answered, 1 when some are down, 3 when none answered")
  .option('-n, --nodes <n>', 'number of nodes', int('nodes', 1), 5)
  .option('--ports <list>', 'node ports, comma separated')
  .option('--base-port <port>', 'node i listens on base + 10*i', int('base-port', 1), DEFAULT_BASE_PORT)
  .option('--host <host>', 'host the nodes listen on', CLIENT_DEFAULTS.host)
  .option('--json', 'print one JSON array: per node {node, port, up, ...its status} or {node, port, up: false, error}');
withTlsOptions(statusCommand, TLS_CLIENT_SPECS)
  .action(async (o) => {
    const files = tlsFilesOrExit(o as TlsOptionValues, 'client');
    const tls = files && new TlsReloader(files);
    const all = ports(o.nodes, o);
    let down = 0;
    const json: Array<Record<string, unknown>> = [];
    for (const [i, p] of all.entries()) {
      try {
        const s = await nodeStatus(p, o.host, tls);
        if (o.json) {
          const { ok: _ok, id: _id, ...fields } = s as unknown as Record<string, unknown>;
          json.push({ node: i, port: p, up: true, ...fields });
        }
        else console.log(`node ${i}: round ${s.round} leader ${s.leader} commitIndex ${s.commitIndex} syncs ${s.syncs} ${s.voting ? 'voting' : 'NOT voting'} (${s.disk})`);
      } catch (e) {
        down++;
        if (o.json) json.push({ node: i, port: p, up: false, error: (e as Error).message });
        else console.log(`node ${i}: down (${(e as Error).message})`);
      }
    }
    if (o.json) console.log(JSON.stringify(json));
    // Scripts and probes read the exit code: a node that did not answer is not "ok".
    if (down > 0) process.exitCode = down === all.length ? 3 : 1;
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof QuorumkitError) console.error(`csp-paxos: ${e.message} (${e.code})`);
  else console.error(`csp-paxos: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
});

// rrseq-client SEQ_NAME BUF_SIZE MS_DELAY ADDR1 [ADDRN...]: every MS_DELAY ms, take one ID
// if one is available and print `Got: <id>`, as in the seed's quickstart.
import { Command } from 'commander';
import { QuorumkitError, addTlsOptions, tlsFilesFromOptions, tlsOptionSpecs, type TlsFiles, type TlsOptionValues } from '@quorumkit/shared-transport';
import { RRSeq } from '../client/rrSeq.js';
import { cliConventions, cliLogger, intArg, onStopSignal } from './logger.js';

const program = cliConventions(new Command()
  .name('rrseq-client')
  .usage('SEQ_NAME BUF_SIZE MS_DELAY ADDR1 [ADDRN...]')
  .description('Stream IDs of one named sequence from a cluster of RRServers and print them.')
  .argument('<seq_name>', 'sequence name')
  .argument('<buf_size>', 'IDs fetched per range (negative means 0: one at a time)')
  .argument('<ms_delay>', 'milliseconds between two takes')
  .argument('<addrs...>', 'servers (":19001" means 127.0.0.1:19001)')
  .option('--prefetch-at <fraction>', 'fetch the next range when this fraction of the current one is used', '0.5')
  .option('--log-level <level>', 'pino log level', 'info')
  .option('--pretty', 'human-readable logs on stderr')
  .option('--json', 'print JSON lines instead: {"id":"<id>"} per ID, {"error":"<code>","message":"..."} per error')
  );
// --tls-ca (and --tls-cert/--tls-key when the servers run with --tls-client-auth), docs/tls.md;
// a dialling client has no --tls-client-auth: that is the servers' setting
addTlsOptions(program, tlsOptionSpecs.filter((f) => f.flags !== '--tls-client-auth'));

program.parse();
const [name, bufRaw, delayRaw, addrs] = program.processedArgs as [string, string, string, string[]];
const o = program.opts<{ prefetchAt: string; logLevel: string; pretty?: boolean; json?: boolean } & TlsOptionValues>();
// one line per event on stdout: the seed's text, or JSON lines with --json (ids as strings: 64-bit)
const say = {
  id: (id: bigint): string => (o.json ? `${JSON.stringify({ id: String(id) })}\n` : `Got: ${id}\n`),
  error: (code: string, message: string, text: string): string => (o.json ? `${JSON.stringify({ error: code, message })}\n` : text),
};
let tls: TlsFiles | undefined;
try {
  tls = tlsFilesFromOptions({ tlsCert: o.tlsCert, tlsKey: o.tlsKey, tlsCa: o.tlsCa }, 'client');
} catch (e) {
  // ETLSCONFIG / ETLSFILE: one named line, exit 2, nothing dialled
  process.stderr.write(`Error: ${e instanceof QuorumkitError ? `${e.code}: ${e.message}` : String(e)}\n`);
  process.exit(2);
}
const log = cliLogger('rrseq-client', o.logLevel, o.pretty === true);
const bufSize = intArg('BUF_SIZE', bufRaw, Number.MIN_SAFE_INTEGER);
const delayMs = intArg('MS_DELAY', delayRaw, 0);

let lastReport = 0;
let seq: RRSeq;
try {
  seq = makeSeq();
} catch (e) {
  // A bad argument is one line, not a stack trace.
  process.stderr.write(`rrseq-client: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
function makeSeq(): RRSeq {
  return new RRSeq(name, bufSize, addrs, {
  prefetchAt: Number(o.prefetchAt),
  ...(tls ? { tls } : {}),
  onError: (err) => {
    // A regression is proof of IDs issued twice: always said, never rate-limited.
    if (err.code === 'ERANGEREGRESSION') {
      log.error({ reason: err.reason }, 'range regression');
      process.stdout.write(say.error(err.code, err.message, `Error: ${err.code}: ${err.message}\n`));
      return;
    }
    // Said clearly, at most once a second: no ID is handed out while this goes on.
    const now = Date.now();
    if (now - lastReport < 1_000) return;
    lastReport = now;
    log.warn({ reason: err.reason }, 'no range available');
    process.stdout.write(say.error(err.code, err.message, `Error: ${err.message}\n`));
  },
  });
}
let timer: NodeJS.Timeout | undefined;
onStopSignal(async () => {
  if (timer) clearTimeout(timer);
  await seq.close();
});
process.stdout.write(o.json ? `${JSON.stringify({ ready: true })}\n` : 'ready\n');
const loop = (): void => {
  const id = seq.tryNext();
  if (id !== undefined) process.stdout.write(say.id(id));
  timer = setTimeout(loop, delayMs);
};
timer = setTimeout(loop, delayMs);

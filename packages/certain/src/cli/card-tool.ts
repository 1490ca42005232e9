// card-tool -X/-Y/-Z addr -o Insert|Update|Delete|Select ... ; card-tool -a addr -o Recover -i ID
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { QuorumkitError } from '@quorumkit/shared-storage';
import { addTlsOptions, tlsFilesFromOptions, tlsOptionSpecs, type TlsFiles } from '@quorumkit/shared-transport';
import { CardClient, type CardMethod, type CardRequestInput } from '../client/cardClient.js';
import { UINT64_MAX } from '../core/card.js';

// The package's own version (dist/cli/x.js and src/cli/x.ts both sit two levels below it).
const { version: packageVersion } = createRequire(import.meta.url)('../../package.json') as { version: string };

const USAGE = [
  '    card-tool -X/-Y/-Z addr -o Insert -i <card_id> -n <user_name> -u <user_id> -b <balance>',
  '    card-tool -X/-Y/-Z addr -o Update -i <card_id> -d <delta>',
  '    card-tool -X/-Y/-Z addr -o Delete -i <card_id>',
  '    card-tool -X/-Y/-Z addr -o Select -i <card_id>',
  '    card-tool -a       addr -o Recover -i <card_id>',
].join('\n');
const USAGE_LINE = 'usage: card-tool -X/-Y/-Z <addr> -o Insert|Update|Delete|Select -i <card_id> ... (card-tool --help for all forms)';

const program = new Command()
  .name('card-tool')
  .version(packageVersion, '--version', 'print the version and exit')
  .option('-X <addr>', 'card address of server 0')
  .option('-Y <addr>', 'card address of server 1')
  .option('-Z <addr>', 'card address of server 2')
  .option('-a <addr>', 'server to recover on')
  .option('-o <op>', 'Insert | Update | Delete | Select | Recover')
  .option('-i <card_id>', 'card id')
  .option('-n <user_name>', 'user name')
  .option('-u <user_id>', 'user id')
  .option('-b <balance>', 'balance')
  .option('-d <delta>', 'balance delta (may be negative)')
  .option('--timeout <ms>', 'per-call deadline', '10000')
  .option('--json', 'print one JSON object on stdout instead of the seed\'s text (ids and amounts as strings)');
// --tls-ca (and --tls-cert/--tls-key when the servers require client certificates), docs/tls.md
// (a dialling tool has no --tls-client-auth: that is the servers' setting)
addTlsOptions(program, tlsOptionSpecs.filter((f) => f.flags !== '--tls-client-auth'));
program
  .allowExcessArguments(false)
  .helpOption('-h, --help')
  .addHelpText('after', `\nUsage forms:\n${USAGE}`)
  // The CLI convention (issue 23): a bad flag or a missing argument is one `Error:` line
  // and one usage line on stderr and exit 2, nothing sent; --help and --version exit 0.
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'Error: ')) })
  .showHelpAfterError(USAGE_LINE)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

function usage(why: string): never {
  process.stderr.write(`Error: ${why}\n${USAGE_LINE}\n`);
  process.exit(2);
}

function num(v: string | undefined, what: string, signed = false): bigint {
  if (v === undefined || !(signed ? /^-?\d+$/ : /^\d+$/).test(v)) usage(`bad ${what}: ${v ?? '(missing)'}`);
  const n = BigInt(v);
  // a local argument error is not a server failure: say what is wrong, exit 2, send nothing
  const [lo, hi] = signed ? [-(1n << 63n), (1n << 63n) - 1n] : [0n, UINT64_MAX];
  if (n < lo || n > hi) usage(`bad ${what}: ${v} (must be in ${lo}..${hi})`);
  return n;
}

async function main(): Promise<void> {
  if (process.argv.length <= 2) {
    // No arguments at all: the seed's usage forms (what the README shows), on stderr, exit 2.
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  program.parse();
  const o = program.opts<Record<string, string | undefined>>();
  const op = o.o;
  const ops: Record<string, CardMethod> = { Insert: 'InsertCard', Update: 'UpdateCard', Delete: 'DeleteCard', Select: 'SelectCard', Recover: 'RecoverData' };
  const method = op ? ops[op] : undefined;
  if (!method) usage(op === undefined ? 'missing -o <op>' : `unknown op "${op}" (Insert, Update, Delete, Select or Recover)`);
  const addrs = op === 'Recover' ? [o.a] : [o.X, o.Y, o.Z];
  if (!addrs.some((a) => a)) usage(op === 'Recover' ? 'Recover needs -a <addr>' : 'missing a server address (-X, -Y or -Z)');
  const input: CardRequestInput = { cardId: num(o.i, 'card_id') };
  if (op === 'Insert') {
    if (o.n === undefined) usage('Insert needs -n <user_name>');
    input.card = { userName: new TextEncoder().encode(o.n), userId: num(o.u, 'user_id'), balance: num(o.b, 'balance') };
  }
  if (op === 'Update') input.delta = num(o.d, 'delta', true);
  let tls: TlsFiles | undefined;
  try {
    tls = tlsFilesFromOptions({ tlsCert: o.tlsCert, tlsKey: o.tlsKey, tlsCa: o.tlsCa }, 'client');
  } catch (err) {
    process.stderr.write(`card-tool: ${err instanceof QuorumkitError ? `${err.code}: ${err.message}` : String(err)}\n`);
    process.exit(2);
  }
  const client = new CardClient(addrs, { deadlineMs: Number(o.timeout) || 10_000, ...(tls ? { tls } : {}) });
  const json = (program.opts<{ json?: boolean }>().json ?? false) === true;
  const print = (x: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(x)}\n`);
  try {
    const r = await client.call(method, input);
    if (json) {
      // the exit code is the same as in text mode: 0 done, 1 refused or failed
      const card = r.ok && r.card ? { userName: new TextDecoder().decode(r.card.userName), userId: String(r.card.userId), balance: String(r.card.balance) } : undefined;
      print(r.ok ? { op, cardId: String(input.cardId), ok: true, ...(card ? { card } : {}) } : { op, cardId: String(input.cardId), ok: false, code: r.code, msg: r.msg });
      if (!r.ok) process.exitCode = 1;
      return;
    }
    if (!r.ok) {
      process.stdout.write(`Failure with error: code(${r.code}) msg(${r.msg})\n`);
      process.exitCode = 1;
      return;
    }
    if (op === 'Select' && r.card) {
      process.stdout.write(`user_name=${new TextDecoder().decode(r.card.userName)} user_id=${r.card.userId} balance=${r.card.balance}\n`);
    }
    if (op === 'Update' && r.card) process.stdout.write(`balance=${r.card.balance}\n`);
    process.stdout.write('Done\n');
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (json) print({ op, cardId: String(input.cardId), ok: false, code: 14, msg });
    else process.stdout.write(`Failure with error: code(14) msg(${msg})\n`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

void main();

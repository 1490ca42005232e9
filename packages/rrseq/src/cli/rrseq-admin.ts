// rrseq-admin: operator commands sent to one server (GRPCAdmin), which runs them across the
// cluster: `init` forms a new cluster, `force-recover --floor N` is the way out of a
// majority loss, `status` says whether that server serves and, if not, why.
import { Command } from 'commander';
import { QuorumkitError, addTlsOptions, callUnary, createGrpcClient, tlsFilesFromOptions, tlsOptionSpecs, type TlsFiles, type TlsOptionValues } from '@quorumkit/shared-transport';
import { rrSeqProtoPath } from '../protoPath.js';
import { normalizeAddr } from '../server/wire.js';
import { cliConventions } from './logger.js';

/** --tls-ca (and --tls-cert/--tls-key when the servers run with --tls-client-auth), or exit 2 with one line. */
function clientTls(o: TlsOptionValues): TlsFiles | undefined {
  try {
    return tlsFilesFromOptions({ tlsCert: o.tlsCert, tlsKey: o.tlsKey, tlsCa: o.tlsCa }, 'client');
  } catch (e) {
    process.stderr.write(`Error: ${e instanceof QuorumkitError ? `${e.code}: ${e.message}` : String(e)}\n`);
    process.exit(2);
  }
}

type AdminOptions = TlsOptionValues & { json?: boolean };

/**
 * Exit codes (README): 0 the server did it (status: it serves), 2 it refused (status: it
 * does not serve; the message says why), 1 the server could not be reached.
 */
async function send(addr: string, command: string, o: AdminOptions, floor = '0'): Promise<void> {
  const tls = clientTls(o);
  const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', normalizeAddr(addr), tls ? { tls } : {});
  try {
    const r = await callUnary<unknown, { ok: boolean; message: string }>(client, 'GRPCAdmin', { command, floor }, { deadlineMs: 30_000 });
    if (o.json) process.stdout.write(`${JSON.stringify({ addr, command, ok: r.ok, message: r.message })}\n`);
    else process.stdout.write(`${r.ok ? 'ok' : 'refused'}: ${r.message}\n`);
    process.exitCode = r.ok ? 0 : 2;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (o.json) process.stdout.write(`${JSON.stringify({ addr, command, ok: false, error: message })}\n`);
    process.stderr.write(`rrseq-admin: ${addr}: ${message}\n`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

const program = cliConventions(new Command().name('rrseq-admin').description('Operator commands for an rrseq cluster (sent to one server).'));
// A dialling tool: the client-role flags only (--tls-client-auth is the servers' setting).
const clientTlsSpecs = tlsOptionSpecs.filter((f) => f.flags !== '--tls-client-auth');
const init = program
  .command('init')
  .argument('<addr>', 'any server of the cluster (":19001" means 127.0.0.1:19001)')
  .description('form a new cluster: every server must be up and blank (never bootstrapped)')
  .option('--json', 'print one JSON object: {addr, command, ok, message} or {addr, command, ok: false, error}')
  .action((addr: string, opts: AdminOptions) => send(addr, 'init', opts));
addTlsOptions(init, clientTlsSpecs);
const forceRecover = program
  .command('force-recover')
  .argument('<addr>', 'a server of the cluster')
  .requiredOption('--floor <n>', 'every sequence continues at or above N: pick N above every ID ever handed out')
  .description('after a majority of the servers lost their disks: make the reachable servers (a majority) serve again from at least N')
  .option('--json', 'print one JSON object: {addr, command, ok, message} or {addr, command, ok: false, error}')
  .action((addr: string, opts: { floor: string } & AdminOptions) => {
    if (!/^\d+$/.test(opts.floor.trim()) || BigInt(opts.floor) < 1n) {
      process.stderr.write(`rrseq-admin: --floor must be a positive integer, got "${opts.floor}"\n`);
      process.exitCode = 1;
      return;
    }
    return send(addr, 'force-recover', opts, opts.floor.trim());
  });
addTlsOptions(forceRecover, clientTlsSpecs);
const status = program
  .command('status')
  .argument('<addr>', 'a server')
  .description('whether that server serves, and if not why')
  .option('--json', 'print one JSON object: {addr, command, ok, message} or {addr, command, ok: false, error}')
  .action((addr: string, opts: AdminOptions) => send(addr, 'status', opts));
addTlsOptions(status, clientTlsSpecs);
if (process.argv.length <= 2) {
  // commander would print the whole help here: one error line and the usage line instead.
  process.stderr.write(`Error: missing command (init, force-recover, status)\nusage: rrseq-admin ${program.usage()}\n`);
  process.exit(2);
}
await program.parseAsync();

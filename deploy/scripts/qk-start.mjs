#!/usr/bin/env node
// qk-start BIN [ARGS...]: the one entry point of the quorumkit image (and of the systemd
// unit). It fills in what differs between the replicas of one StatefulSet / unit template,
// then runs BIN (a quorumkit CLI from node_modules/.bin) and passes signals on to it:
//   {ordinal}    the replica number: $QK_ORDINAL, else the trailing -N of $HOSTNAME (pod-2 -> 2)
//   {ordinal+1}  the same plus one (constdb node ids start at 1)
//   {env:NAME}   the value of $NAME (fails if unset: a missing secret must not become "")
//   {item:NAME}  entry {ordinal} of the list in $NAME (comma or space separated): this member
//   {others:NAME}  (a whole argument) every entry of $NAME but this one, as separate arguments
// and it appends the bootstrap flag only when the operator asks for a NEW cluster:
//   QK_BOOTSTRAP=yes           append $QK_BOOTSTRAP_FLAG (default --bootstrap)
//   QK_BOOTSTRAP_ORDINAL=0     ... but only on that replica (rrseq: --init on server 0 only)
// QK_BOOTSTRAP is meant for the very first start of a cluster and must be removed after it:
// a replica that lost its disk and starts with --bootstrap would vote with no memory.
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export class StartError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StartError';
  }
}

export function ordinalOf(env) {
  const raw = env.QK_ORDINAL ?? /-(\d+)$/.exec(env.HOSTNAME ?? '')?.[1];
  if (raw === undefined) throw new StartError('no replica number: set QK_ORDINAL or run with a HOSTNAME ending in -N (a StatefulSet pod)');
  if (!/^\d+$/.test(raw)) throw new StartError(`QK_ORDINAL must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** The argv to run: placeholders filled, the bootstrap flag added when asked. Pure: no I/O. */
export function buildArgv(args, env) {
  if (args.length === 0) throw new StartError('usage: qk-start BIN [ARGS...]');
  let ordinal;
  const ord = () => (ordinal ??= ordinalOf(env));
  const value = (a, name) => {
    const v = env[name];
    if (v === undefined || v === '') throw new StartError(`${a}: environment variable ${name} is not set`);
    return v;
  };
  const list = (a, name) => {
    const items = value(a, name).split(/[\s,]+/).filter((x) => x !== '');
    if (ord() >= items.length) throw new StartError(`${a}: ${name} lists ${items.length} members, this is replica ${ord()}`);
    return items;
  };
  const filled = args.flatMap((a) => {
    const others = /^\{others:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(a);
    if (others) return list(a, others[1]).filter((_, i) => i !== ord());
    return [
      a.replace(/\{(ordinal\+1|ordinal|(env|item):([A-Za-z_][A-Za-z0-9_]*))\}/g, (_, what, kind, name) => {
        if (what === 'ordinal') return String(ord());
        if (what === 'ordinal+1') return String(ord() + 1);
        return kind === 'env' ? value(a, name) : list(a, name)[ord()];
      }),
    ];
  });
  const boot = (env.QK_BOOTSTRAP ?? 'no').toLowerCase();
  if (!['yes', 'no', 'true', 'false', '1', '0', ''].includes(boot)) throw new StartError(`QK_BOOTSTRAP must be yes or no, got "${env.QK_BOOTSTRAP}"`);
  if (['yes', 'true', '1'].includes(boot)) {
    const only = env.QK_BOOTSTRAP_ORDINAL;
    if (only === undefined || only === '' || Number(only) === ord()) filled.push(env.QK_BOOTSTRAP_FLAG || '--bootstrap');
  }
  return filled;
}

function main() {
  let argv;
  try {
    argv = buildArgv(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`qk-start: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`qk-start: ${argv.join(' ')}\n`);
  const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`qk-start: cannot run ${argv[0]}: ${e.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1)));
}

if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) main();

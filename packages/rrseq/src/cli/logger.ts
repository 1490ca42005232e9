// pino to stderr (stdout is for the user-facing lines: `ready`, `Got: <id>`); readable with
// --pretty or when stderr is a terminal.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { pino, type Logger } from 'pino';

/** This package's version, from its package.json (found upward from this file, in src or dist). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const j = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (j.name === '@quorumkit/rrseq' && j.version) return j.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/**
 * The CLI convention (issue 23): --version; an unknown flag or a missing argument prints
 * one `Error:` line (commander's, capitalised like every quorumkit bin) and one usage line
 * on stderr, and exits 2.
 */
export function cliConventions(cmd: Command): Command {
  return cmd
    .version(packageVersion())
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'Error: ')) })
    .exitOverride((err) => {
      if (err.exitCode === 0) process.exit(0); // --help, --version
      process.stderr.write(`usage: ${cmd.name()} ${cmd.usage()}\n`);
      process.exit(2);
    });
}

export function cliLogger(name: string, level: string, pretty: boolean): Logger {
  if (pretty || process.stderr.isTTY) {
    return pino({ name, level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: process.stderr.isTTY } } });
  }
  return pino({ name, level }, pino.destination(2));
}

/** A positive integer flag value, or exit with a clear message. */
export function intArg(what: string, raw: string, min: number): number {
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
    process.stderr.write(`error: ${what} must be an integer >= ${min}, got "${raw}"\n`);
    process.exit(1);
  }
  return v;
}

export function onStopSignal(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  // Whoever reads stdout went away (e.g. `| head`): stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', () => {
    if (stopping) return;
    stopping = true;
    void stop('EPIPE').finally(() => process.exit(0));
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      stop(sig).then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`error while stopping: ${String(e)}\n`);
          process.exit(1);
        },
      );
    });
  }
}

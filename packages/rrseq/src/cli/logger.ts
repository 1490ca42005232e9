// pino to stderr (stdout is for the user-facing lines: `ready`, `Got: <id>`); readable with
// --pretty or when stderr is a terminal.
import { pino, type Logger } from 'pino';

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
    stop('EPIPE').finally(() => process.exit(0));
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

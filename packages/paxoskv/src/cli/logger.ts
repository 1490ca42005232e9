// Server logs: pino JSON to stderr; human-readable with --pretty or when stderr is a TTY.
import { pino, type Logger } from 'pino';

export function makeLogger(opts: { pretty?: boolean; level?: string }): Logger {
  const level = opts.level ?? 'info';
  if (opts.pretty ?? process.stderr.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: process.stderr.isTTY } } });
  }
  return pino({ level }, pino.destination(2));
}

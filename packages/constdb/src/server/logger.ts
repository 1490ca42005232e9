// pino logger: JSON to stderr (or a file), pretty when asked or on a TTY.
import { pino, type Logger } from 'pino';

export function createLogger(opts: { level: string; log: string; pretty?: boolean; name?: string }): Logger {
  const level = opts.level;
  const pretty = opts.pretty ?? (opts.log === 'stderr' && process.stderr.isTTY === true);
  if (pretty) {
    return pino({ level, name: opts.name, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  }
  const dest = opts.log === 'stdout' ? 1 : opts.log === 'stderr' || opts.log === '' ? 2 : opts.log;
  return pino({ level, name: opts.name }, pino.destination({ dest, sync: false, mkdir: true }));
}

import type { Operation } from '../../src/index.js';

let nextId = 0;

/** Hand-made operation: times are plain numbers (ns); end undefined = never completed. */
export function op(
  process: number,
  f: string,
  input: unknown,
  output: unknown,
  start: number,
  end: number | undefined,
  opts: { key?: string; status?: Operation['status'] } = {},
): Operation {
  const status = opts.status ?? (end === undefined ? 'info' : 'ok');
  return {
    id: nextId++,
    process,
    key: opts.key ?? 'x',
    f,
    input,
    output: status === 'ok' ? output : undefined,
    status,
    invokeNs: BigInt(start),
    completeNs: end === undefined ? undefined : BigInt(end),
  };
}

// One processor = one single-threaded loop over its channels. It owns its core exclusively;
// everything it learns or asks for goes out as messages (network or other channels).
import { type Channel, select } from '../csp/channel.js';
import type { Input, Output, Processor, ProcName } from '../core/types.js';

export const PROCESSOR_DEFAULTS = {
  /** Inputs handled per turn before the outputs are flushed (one fsync covers them all). */
  drainInputsMax: 4096,
  tickMs: 20,
};

export interface ProcessorEnv {
  now(): number;
  stopped(): boolean;
  /** Called with the outputs of one turn; awaited before the next turn. */
  dispatch(from: ProcName, out: Output): Promise<void> | void;
}

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runProcessor(name: ProcName, core: Processor, inboxes: Channel<Input>[], env: ProcessorEnv, opts: { ticks: boolean; tickMs?: number }): Promise<void> {
  const tickMs = opts.tickMs ?? PROCESSOR_DEFAULTS.tickMs;
  let lastTick = env.now();
  while (!env.stopped()) {
    // Every read has a deadline: a quiet channel still lets the tick run.
    const r = await select(inboxes, { timeoutMs: tickMs });
    if (!r.ok && r.reason === 'closed') break;
    if (r.ok) core.handle(r.value, env.now());
    for (const ch of inboxes) for (const v of ch.drain(PROCESSOR_DEFAULTS.drainInputsMax)) core.handle(v, env.now());
    const now = env.now();
    if (opts.ticks && now - lastTick >= tickMs) {
      lastTick = now;
      core.handle({ kind: 'tick' }, now);
    }
    await env.dispatch(name, core.takeOutput());
    if (r.ok) await yieldToIo();
  }
}

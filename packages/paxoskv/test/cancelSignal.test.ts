// A phase's cancel signal (src/client/cancelSignal.ts): the cheap stand-in for AbortController
// that every Proposer phase hands its transport. What it must keep: an op still queued for an
// acceptor when its phase is over is dropped and its promise rejects with the phase's reason at
// once (not after the call timeout), and listeners run exactly once.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceptorLink } from '../src/client/acceptorLink.js';
import { PhaseSignal } from '../src/client/cancelSignal.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Takes connections and never answers (a SIGSTOPped acceptor, as a client sees it). */
async function silentAcceptor(): Promise<string> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  const a = server.address();
  return `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

describe('PhaseSignal', () => {
  it('runs each listener once, at the first abort, and never one added after it', () => {
    const s = new PhaseSignal();
    const seen: string[] = [];
    s.addEventListener('abort', () => seen.push('a'));
    s.addEventListener('abort', () => seen.push('b'), { once: true });
    expect(s.aborted).toBe(false);
    const why = new Error('over');
    s.abort(why);
    s.abort(new Error('again'));
    s.addEventListener('abort', () => seen.push('late'));
    expect(seen).toEqual(['a', 'b']);
    expect(s.aborted).toBe(true);
    expect(s.reason).toBe(why);
  });

  it('an op still queued for a silent acceptor is dropped at abort: it rejects with the reason, not at the call timeout', async () => {
    const link = new AcceptorLink(await silentAcceptor(), { callsInflightMax: 1, callTimeoutMs: 60_000, stream: false });
    cleanups.push(() => link.close());
    // the one call allowed in flight hangs on the silent acceptor; the next op waits in the queue
    const first = link.request('LEARN', { Id: { Key: 'k', Ver: '0' } });
    first.catch(() => undefined);
    await new Promise((r) => setImmediate(r)); // sent: the link's one call in flight
    expect(link.calls).toBe(1);
    const phase = new PhaseSignal();
    const queued = link.request('LEARN', { Id: { Key: 'k', Ver: '1' } }, phase);
    const why = new Error('phase over');
    phase.abort(why);
    await expect(queued).rejects.toBe(why);
    expect(link.calls).toBe(1); // the dropped op was never sent
  }, 30_000);
});

// Pieces of a node's request handling that need no node state beyond what they are given:
// the seed's instance ids, a proposal's key, the `read` answer (a read-only peek at the
// learner's committed prefix: entries never change once committed, the same way status reads
// the cores) and the `debug` view.
import { createHash } from 'node:crypto';
import type { Learner } from '../core/learner.js';
import type { AcceptorLog } from '../storage/acceptorLog.js';
import type { NodeCores } from './nodeOptions.js';
import type { Request, Transport } from './transport.js';

/** Entries in one `read` answer at most (a bigger max is cut to this). */
export const READ_ENTRIES_MAX = 1000;

/** The seed's instance id: 32 lowercase letters from a sha256 of the payload. */
export function instanceKey(payload: string): string {
  const h = createHash('sha256').update(payload).digest();
  let s = '';
  for (let i = 0; i < 32; i++) s += String.fromCharCode(97 + (h[i]! % 26));
  return s;
}

/** The reply to `{c: 'read', from, max}` on node `id`. */
export function answerRead(req: Request, c: Learner, id: number): Record<string, unknown> {
  const from = req.from;
  const max = req.max ?? READ_ENTRIES_MAX;
  if (!Number.isSafeInteger(from) || (from as number) < 0 || !Number.isSafeInteger(max) || (max as number) < 1) {
    return { ok: false, code: 'BAD_REQUEST', error: 'read needs from (an integer >= 0) and max (an integer >= 1)' };
  }
  if ((from as number) < c.base) return { ok: false, code: 'COMPACTED', base: c.base, error: `COMPACTED: node ${id} truncated its log below slot ${c.base}; read from ${c.base}` };
  const upTo = Math.min(c.commitIndex, (from as number) + Math.min(max as number, READ_ENTRIES_MAX));
  const entries = c.committed.slice((from as number) - c.base, Math.max(0, upTo - c.base)).map((e) => (e.data === undefined ? { slot: e.slot, key: e.key } : { slot: e.slot, key: e.key, data: e.data }));
  return { ok: true, entries, commitIndex: c.commitIndex };
}

/**
 * The instance key of a `propose` from node `id`'s request `ref`: with a client id and sequence
 * it is derived from them, the same on every retry and every node (the learner answers a retry
 * of a committed value and the leader does not propose it twice); else unique to this request.
 * A malformed pair is refused.
 */
export function proposeKey(req: Request, id: number, ref: number, nowMs: number): { key: string } | { refusal: Record<string, unknown> } {
  const idem = req.client !== undefined || req.seq !== undefined;
  if (!idem) return { key: instanceKey(`${id}:${ref}:${nowMs}:${req.data as string}`) };
  if (typeof req.client !== 'string' || req.client.length === 0 || req.client.length > 128 || !Number.isSafeInteger(req.seq) || (req.seq as number) < 0) {
    return { refusal: { ok: false, code: 'BAD_REQUEST', error: 'client must be a string of 1-128 characters and seq an integer >= 0 (both or neither)' } };
  }
  return { key: instanceKey(`client:${req.client}:${req.seq as number}`) };
}

/** What the `debug` request shows of a node (read only, for post-mortems). */
export interface DebugParts {
  id: number;
  cores: NodeCores | undefined;
  acceptorLog: AcceptorLog;
  transport: Transport;
  channels: Record<string, { length: number }>;
}

/** Post-mortem view of the cores, the acceptor log's pending writes, links and channels. */
export function debugView(d: DebugParts): Record<string, unknown> {
  const c = d.cores;
  // The proposer's private progress fields, read without widening its API.
  const p = c?.leader as unknown as Record<string, any> | undefined;
  const log = d.acceptorLog;
  return {
    ok: true,
    est: c?.router.estRound,
    promised: c?.follower.promised,
    acceptedLen: c?.follower.end,
    acceptorBase: c?.follower.base,
    prop: p && { round: p.round, phase: p.phase, window: (p.window.batches as any[]).map((b) => `${b.type}${b.from}-${b.to}:${[...b.acks].join(',')}`), tail: c!.leader.tail.size, gathered: p.read.answered().nodes, selfPromised: p.read.answered().self, sinceProgress: Date.now() - p.lastProgressMs, readFrom: p.readFrom, nextSlot: p.nextSlot, iq: p.imposeQueue.length },
    rank: d.id,
    commitIndex: c?.consensus.commitIndex,
    knownMax: c?.consensus.knownMax,
    log: { ...log.pending, inflightMs: log.inflightSinceMs ? Date.now() - log.inflightSinceMs : 0, slowestMs: log.slowestFlushMs },
    links: d.transport.linkStats(),
    inbound: d.transport.stats,
    chans: Object.fromEntries(Object.entries(d.channels).map(([k, ch]) => [k, ch.length])),
  };
}

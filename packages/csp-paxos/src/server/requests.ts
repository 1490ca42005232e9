// Pieces of a node's request handling that need no node state beyond what they are given:
// the seed's instance ids and the `read` answer (a read-only peek at the learner's committed
// prefix: entries never change once committed, the same way status reads the cores).
import { createHash } from 'node:crypto';
import type { Learner } from '../core/learner.js';
import type { Request } from './transport.js';

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

// The card service measures a request's encoded value only for inserts (or under a tiny
// CardValueBytesMax): any other request's value, with the largest ids and uuid, stays far
// below the 1024 bytes that skip relies on.
import { describe, expect, it } from 'vitest';
import { requestValueBytes } from '../src/server/cardService.js';

const M = (1n << 64n) - 1n;

describe('request value bytes', () => {
  it('updates, deletes and selects with u64-max ids and uuid encode under 1024 bytes', () => {
    for (const op of [{ op: 'update', cardId: M, delta: M }, { op: 'delete', cardId: M }, { op: 'select', cardId: M }] as const) {
      expect(requestValueBytes(op, M)).toBeLessThan(1024);
    }
  });
});

// What the pure EntityCore asks its shell to do (persist, send, notify). Pure.
import type { EntityMsg } from './messages.js';
import type { EntryRecord } from './types.js';

export interface PersistOp {
  entityId: bigint;
  entry: bigint;
  record: EntryRecord;
  /** The entity's maxChosenEntry after this op (written in the same batch). */
  maxChosen: bigint;
}

export interface Outbound {
  to: number;
  msg: EntityMsg;
}

/** What the shell must do. `send` and `chosen` wait until every `persist` is durable. */
export interface Effects {
  persist: PersistOp[];
  send: Outbound[];
  /** Messages that change no durable state: send at once. */
  sendNow: Outbound[];
  /** Entries that became chosen (durable once `persist` is). `mine`: our write's value won. */
  chosen: { entityId: bigint; entry: bigint; record: EntryRecord; mine: boolean }[];
  /** Reads that may now be served from data applied up to `upTo`. */
  readsReady: { entityId: bigint; readId: number; upTo: bigint }[];
  /** Start GetAll for the entity (peers to try in order). */
  getAll: { entityId: bigint; peers: number[] }[];
  /** Call `persisted()` of each listed entity (once per listing, in order) once this batch is durable. */
  persistedCallback: bigint[];
}

export function emptyEffects(): Effects {
  return { persist: [], send: [], sendNow: [], chosen: [], readsReady: [], getAll: [], persistedCallback: [] };
}

export function mergeEffects(into: Effects, e: Effects): Effects {
  into.persist.push(...e.persist);
  into.send.push(...e.send);
  into.sendNow.push(...e.sendNow);
  into.chosen.push(...e.chosen);
  into.readsReady.push(...e.readsReady);
  into.getAll.push(...e.getAll);
  into.persistedCallback.push(...e.persistedCallback);
  return into;
}

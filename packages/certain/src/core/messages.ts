// Peer messages. The Paxos protocol itself is the single PaxosCmd; catch-up is a separate
// request/response that carries chosen records in bounded groups.
import type { EntryRecord, PaxosCmd } from './types.js';

export interface ChosenEntry {
  entry: bigint;
  record: EntryRecord;
}

export interface CatchUpReq {
  kind: 'catchUpReq';
  srcAcceptorId: number;
  entityId: bigint;
  fromEntry: bigint;
  maxNum: number;
}

export interface CatchUpRsp {
  kind: 'catchUpRsp';
  srcAcceptorId: number;
  entityId: bigint;
  /** Chosen records fromEntry.. in order (may be empty). */
  entries: ChosenEntry[];
  /** The responder's maxChosenEntry for the entity. */
  maxChosenEntry: bigint;
  /** The responder's plog no longer has fromEntry (expired and applied): use GetAll. */
  expired: boolean;
}

/** A recovering replica asks for the horizon of every entity (paged by entity id). */
export interface HorizonReq {
  kind: 'horizonReq';
  srcAcceptorId: number;
  /** Entities after this id (null: from the start). */
  after: bigint | null;
  maxNum: number;
}

export interface HorizonRsp {
  kind: 'horizonRsp';
  srcAcceptorId: number;
  /** The responder cannot vouch for its state (it is recovering too): ask again later. */
  recovering: boolean;
  /** Per entity: maxChosen, +1 if the responder holds a record of maxChosen + 1. Entities at 0 are left out. */
  horizons: { entityId: bigint; horizon: bigint }[];
  /** Ask again after this entity id; null: this was the last page. */
  next: bigint | null;
}

/** Messages about one entity (what EntityCore takes). */
export type EntityMsg = { kind: 'paxos'; cmd: PaxosCmd } | CatchUpReq | CatchUpRsp;
export type PeerMsg = EntityMsg | HorizonReq | HorizonRsp;

export function isEntityMsg(m: PeerMsg): m is EntityMsg {
  return m.kind === 'paxos' || m.kind === 'catchUpReq' || m.kind === 'catchUpRsp';
}

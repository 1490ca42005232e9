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

export type PeerMsg = { kind: 'paxos'; cmd: PaxosCmd } | CatchUpReq | CatchUpRsp;

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

/**
 * The proposer that counted a quorum for `entry` tells the others it is chosen, without the
 * value: an acceptor holding the value with this id marks it chosen; one that does not
 * catches up. Acceptors answer the proposer only, so this (and the same fact piggybacked on
 * the proposer's next PaxosCmd) is how they learn what was chosen.
 */
export interface CommitMsg {
  kind: 'commit';
  srcAcceptorId: number;
  entityId: bigint;
  entry: bigint;
  valueId: bigint;
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

/**
 * Anti-entropy: every chosenGossipMs a replica tells each peer how far the entities it saw
 * advance lately are chosen. A peer behind on one catches up from the sender. It repairs what
 * a lost accept and a lost commit notice together leave behind: an acceptor that never heard
 * of an entry would otherwise stay behind until the entity is written or read there again.
 */
export interface ChosenSummary {
  kind: 'chosenSummary';
  srcAcceptorId: number;
  chosen: { entityId: bigint; maxChosen: bigint }[];
}

/** Messages about one entity (what EntityCore takes). */
export type EntityMsg = { kind: 'paxos'; cmd: PaxosCmd } | CatchUpReq | CatchUpRsp | CommitMsg;
export type PeerMsg = EntityMsg | HorizonReq | HorizonRsp | ChosenSummary;

export function isEntityMsg(m: PeerMsg): m is EntityMsg {
  return m.kind === 'paxos' || m.kind === 'catchUpReq' || m.kind === 'catchUpRsp' || m.kind === 'commit';
}

// Wire-level and durable types of the TPaxos entry protocol. Pure: no node:* imports.

/** One acceptor's state for one (entity, entry), as seen by some replica. */
export interface EntryRecord {
  /** Ballot this acceptor is proposing with (its proposer half); 0 if none. */
  preparedNum: bigint;
  /** Highest ballot promised. */
  promisedNum: bigint;
  /** Ballot of the accepted value; 0 if none. */
  acceptedNum: bigint;
  /** Unique id of the accepted value (the ballot it was first proposed with). */
  valueId: bigint;
  /** The accepted value; null for a no-op (write-for-read) or when nothing is accepted. */
  value: Uint8Array | null;
  /** Client request uuids carried by the value (for dedup). */
  uuids: bigint[];
  chosen: boolean;
}

export const EntryState = {
  Normal: 'Normal',
  PromiseLocal: 'PromiseLocal',
  PromiseRemote: 'PromiseRemote',
  MajorityPromise: 'MajorityPromise',
  AcceptRemote: 'AcceptRemote',
  AcceptLocal: 'AcceptLocal',
  Chosen: 'Chosen',
} as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

export const CmdResult = {
  Ok: 0,
  /** The sender's entry is already chosen here and its plog entry expired: use GetAll. */
  Expired: 1,
  /** The receiver is behind (the entry is beyond its next entry). */
  Behind: 2,
  /** The receiver is busy with GetAll for this entity. */
  Pending: 3,
} as const;
export type CmdResult = (typeof CmdResult)[keyof typeof CmdResult];

/** The single protocol message: the sender's own record and its view of the receiver's. */
export interface PaxosCmd {
  header: { uuid: bigint; entityId: bigint; entry: bigint; result: CmdResult };
  srcAcceptorId: number;
  destAcceptorId: number;
  srcRecord: EntryRecord;
  /**
   * srcRecord is durable at the sender. false: the message left while the sender was still
   * writing it (its own accept with LocalAcceptFirst off, a probe during a write), so the
   * receiver may act on the proposal in it but must not count it as the sender's vote or
   * promise. Anything but true is taken as false (fail safe).
   */
  srcDurable: boolean;
  destRecord: EntryRecord;
  maxChosenEntry: bigint;
  /**
   * Value id of the sender's entry maxChosenEntry (0: not known): the piggybacked commit, so
   * an acceptor that holds that value can mark it chosen and go on with this message.
   */
  maxChosenValueId: bigint;
  checkEmpty: boolean;
  quickRsp: boolean;
}

/** A value a proposer wants chosen. value null = no-op (write-for-read). */
export interface ProposalValue {
  value: Uint8Array | null;
  uuids: bigint[];
}

export function emptyRecord(): EntryRecord {
  return { preparedNum: 0n, promisedNum: 0n, acceptedNum: 0n, valueId: 0n, value: null, uuids: [], chosen: false };
}

export function copyRecord(r: EntryRecord): EntryRecord {
  return { ...r, uuids: [...r.uuids] };
}

export function isEmptyRecord(r: EntryRecord): boolean {
  return r.promisedNum === 0n && r.acceptedNum === 0n && !r.chosen;
}

/** Same protocol-visible state (what decides whether a reply is useful). */
export function sameRecord(a: EntryRecord, b: EntryRecord): boolean {
  return (
    a.preparedNum === b.preparedNum &&
    a.promisedNum === b.promisedNum &&
    a.acceptedNum === b.acceptedNum &&
    a.valueId === b.valueId &&
    a.chosen === b.chosen
  );
}

/** The reserved PreAuth ballot of an acceptor: 1..N. */
export function preAuthBallot(acceptorId: number): bigint {
  return BigInt(acceptorId + 1);
}

/** Smallest normal ballot k*N+id+1 (k >= 1) owned by acceptorId that exceeds `above`. */
export function nextBallot(acceptorId: number, acceptorNum: number, above: bigint): bigint {
  const n = BigInt(acceptorNum);
  const id = BigInt(acceptorId);
  let k = above / n;
  if (k < 1n) k = 1n;
  let b = k * n + id + 1n;
  while (b <= above) b += n;
  return b;
}

/** Which acceptor owns a ballot (or created a value id). */
export function ballotOwner(ballot: bigint, acceptorNum: number): number {
  return Number((ballot - 1n) % BigInt(acceptorNum));
}

export function isPreAuthBallot(ballot: bigint, acceptorNum: number): boolean {
  return ballot >= 1n && ballot <= BigInt(acceptorNum);
}

export function majority(acceptorNum: number): number {
  return Math.floor(acceptorNum / 2) + 1;
}

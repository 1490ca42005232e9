// What a node knows about one replica: its address, its link and inbound stream, and the
// replication state learnt from its acks (used by the outgoing stream, tombstone GC and WAIT).
import type { Socket } from 'node:net';
import type { PeerMeta } from '../storage/snapshot.js';

export type LinkState = 'connecting' | 'syncing' | 'online' | 'down' | 'closed';

/**
 * The outgoing stream to a peer as the rest of replication uses it; PeerLink (replLink.ts)
 * is the one implementation. Named here so this file depends on nothing of the server.
 */
export interface PeerStream {
  readonly state: LinkState;
  readonly lastError: string;
  /** one of our ops (or a PUBLISH), sent only while online */
  sendOp(seq: bigint, fr: Buffer): void;
  send(fr: Buffer): void;
  heartbeat(): void;
  /** redial now if the link is down */
  kick(): void;
  /** drop the connection and redial at once (e.g. to force a full sync) */
  restart(): void;
  close(): void;
}

export interface Peer extends PeerMeta {
  alias: string;
  link?: PeerStream;
  /** inbound stream from this peer (its ops to us) */
  inbound?: Socket;
  /** highest seq of our ops the peer acknowledged */
  ackedSeq: bigint;
  lastAckMs: number;
  /** the peer's applied-uuid vector (origin -> max uuid applied) */
  appliedU: Map<number, bigint>;
  fullSyncs: number;
  partialSyncs: number;
  /**
   * Generation of the full sync this peer is owed (0: none). Set when we hold ops a
   * restarted origin lost, persisted with the peer list, cleared when the peer reports the
   * full sync of that generation (or a later one) durable.
   */
  owed: number;
  /**
   * While a full sync to this peer may still be merged there: the durable vector we had
   * claimed when its snapshot was taken. Our acks to the peer claim no more than this, so it
   * cannot collect a tombstone on the strength of a later claim and then merge our older
   * snapshot that still holds the removed add.
   */
  ackCap?: Map<number, bigint>;
  /** uuid ranges of ops this peer may have lost in crashes (from its acks): never stable */
  lostUuids: ReadonlyArray<readonly [bigint, bigint]>;
  /** the peer list of its last ack (learnt only when it changes) */
  lastPeersList?: string;
}

/** A replica just added: nothing acknowledged, nothing owed. */
export function newPeer(id: number, host: string, port: number, alias: string): Peer {
  return { id, host, port, alias, ackedSeq: 0n, lastAckMs: 0, appliedU: new Map(), fullSyncs: 0, partialSyncs: 0, owed: 0, lostUuids: [] };
}

/** The wire form of a peer list (handshake replies, acks): `id@host:port,...`. */
export function formatPeerList(peers: Iterable<Peer>): string {
  return [...peers].map((p) => `${p.id}@${p.host}:${p.port}`).join(',');
}

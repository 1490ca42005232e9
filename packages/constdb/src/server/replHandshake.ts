// The receiving side of a replication handshake: CONSTDB.SYNC as the first command of a
// client connection turns it into the inbound stream of a replica (or answers a probe).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';
import type { ConstdbConfig } from './config.js';
import type { Membership } from '../core/membership.js';
import { inLostRange, parseLostRanges } from '../storage/seqCeiling.js';
import { formatPeerList, type Peer } from './replPeer.js';

/** What the handshake needs of the replicator (kept narrow: no import of it, no cycle). */
export interface HandshakeHost {
  readonly node: { readonly cfg: ConstdbConfig };
  readonly peers: ReadonlyMap<number, Peer>;
  readonly members: Membership;
  readonly applied: Map<number, bigint>;
  readonly selfOut: boolean;
  readonly isRejoining: boolean;
  readonly stopped: boolean;
  readonly log: Logger;
  onMembers(wire: string, from?: number): void;
  verifyCandidate(id: number, host: string, port: number, alias: string): void;
  onLostOps(): Promise<void>;
  serveInbound(p: Peer, sock: Socket): void;
}

/** First command of a connection: CONSTDB.SYNC makes it an inbound peer stream. */
export function takeover(h: HandshakeHost, c: Connection, args: Buffer[]): boolean {
  if (args[0]!.toString('latin1').toLowerCase() !== 'constdb.sync') return false;
  const [, idB, hostB, portB, passB, seqB, aliasB, lostB, modeB, membersB] = args;
  const probeB = modeB?.toString('latin1') === 'probe';
  const reply = (s: string) => c.socket.write(s + '\r\n');
  const refuse = (s: string) => {
    reply(s);
    c.socket.end();
    return true;
  };
  if (!idB || !hostB || !portB || passB === undefined || !seqB || !aliasB || !lostB) return refuse('-ERR wrong number of arguments for \'constdb.sync\' command');
  const lost = parseLostRanges(lostB.toString('latin1'));
  if (!/^\d{1,15}$/.test(idB.toString()) || !/^\d{1,5}$/.test(portB.toString()) || !/^\d{1,20}$/.test(seqB.toString()) || !lost) {
    return refuse('-ERR invalid constdb.sync arguments');
  }
  const cfg = h.node.cfg;
  const pass = cfg.requirepass;
  if (pass !== undefined && passB.toString() !== pass) return refuse('-WRONGPASS invalid password for replication');
  const id = Number(idB.toString());
  const theirSeq = BigInt(seqB.toString());
  if (id === cfg.nodeId) return refuse('-ERR same node id');
  // their membership view first: it may lift a forget (of them or of us) or bring one.
  // Only the view of a replica, or of a node we are about to verify, is taken: a probe or
  // a stranger's handshake changes nothing (it could be forged)
  if (membersB && !probeB) h.onMembers(membersB.toString('latin1'), h.peers.has(id) ? undefined : id);
  if (h.isRejoining) return refuse('-PENDING this node is rejoining the cluster, retry');
  if (h.members.isOut(id) && !probeB) return refuse(`-FORGOTTEN ${h.members.version(id)} this node was removed from the cluster`);
  if (h.selfOut && !probeB) return refuse(`-OUT ${h.members.version(cfg.nodeId)} this node was removed from the cluster (MEET brings it back)`);
  const peersList = formatPeerList(h.peers.values()) || '-';
  const alias = encodeURIComponent(cfg.nodeAlias || '-');
  if (probeB) return refuse(`+SYNC ${cfg.nodeId} 0 ${peersList} ${alias} ${h.members.format()}`);
  const host = hostB.toString();
  const port = Number(portB.toString());
  const alias0 = decodeURIComponent(aliasB.toString());
  const p = h.peers.get(id);
  if (!p) {
    // A handshake alone proves nothing (anyone can send one): the node becomes a replica
    // only once we dialled the address it announced and found that id there.
    h.verifyCandidate(id, host, port, alias0);
    return refuse(`-PENDING node ${id} is not a replica yet: verifying ${host}:${port}, retry`);
  }
  if (p.host !== host || p.port !== port) h.verifyCandidate(id, host, port, alias0);
  if (alias0 && alias0 !== '-') p.alias = alias0;
  c.detach();
  const applied = h.applied.get(id) ?? 0n;
  let owing: Promise<void> | undefined;
  if (inLostRange(lost, applied)) {
    // the peer crashed after sending us ops it no longer has (its seqs continue above them)
    h.log.warn({ peer: id, applied: String(applied) }, 'we hold ops the peer lost in a crash: full sync to every replica');
    owing = h.onLostOps();
  } else if (applied > theirSeq) {
    // it restarted below what we applied without announcing a lost range (its data dir was
    // restored from a backup): resume from its numbering, and owe everyone our state
    h.log.warn({ peer: id, applied: String(applied), theirs: String(theirSeq) }, 'peer is behind what we applied: full sync to every replica');
    h.applied.set(id, theirSeq);
    owing = h.onLostOps();
  }
  const accept = () => {
    if (c.socket.destroyed || h.stopped) return;
    p.link?.kick();
    p.inbound?.destroy();
    p.inbound = c.socket;
    reply(`+SYNC ${cfg.nodeId} ${h.applied.get(id) ?? 0n} ${peersList} ${alias} ${h.members.format()}`);
    h.serveInbound(p, c.socket);
  };
  // the obligation is durable before the peer may move past the lost range
  if (owing) void owing.then(accept, () => c.socket.destroy());
  else accept();
  return true;
}

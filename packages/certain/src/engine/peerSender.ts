// Handing protocol messages to the transport: each carries this replica's incarnation (peers
// drop those of an earlier life: the fence), is counted by kind for metrics, and a send the
// transport refuses (a message too large for a frame, a closed link) is a lost message, which
// Paxos tolerates: logged and dropped, never taken for a plog failure.
import type { Logger } from 'pino';
import { type PeerMsg, isEntityMsg } from '../core/index.js';
import type { Transport } from './transport.js';

export interface PeerSendMetrics {
  peerMessagesSent: number;
  peerMessagesByKind: Record<string, number>;
  droppedSends: number;
}

export class PeerSender {
  constructor(private readonly h: { transport(): Transport; incarnation(): bigint; log: Logger; metrics: PeerSendMetrics }) {}

  send(to: number, msg: PeerMsg): void {
    const m = this.h.metrics;
    try {
      this.h.transport().send(to, { ...msg, inc: this.h.incarnation() } as unknown as PeerMsg);
      m.peerMessagesSent++;
      const kind = msg.kind === 'paxos' ? (msg.cmd.srcRecord.chosen ? 'chosen' : msg.cmd.checkEmpty ? 'probe' : 'paxos') : msg.kind;
      m.peerMessagesByKind[kind] = (m.peerMessagesByKind[kind] ?? 0) + 1;
    } catch (err) {
      m.droppedSends++;
      const entityId = msg.kind === 'paxos' ? msg.cmd.header.entityId : isEntityMsg(msg) ? msg.entityId : undefined;
      this.h.log.warn({ err, to, kind: msg.kind, entityId: String(entityId) }, 'peer message dropped');
    }
  }
}

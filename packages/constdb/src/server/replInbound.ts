// The receiving end of a peer's op stream: applies its ops exactly once in seq order,
// merges streamed snapshots (and reports each durable), detects gaps (closing the stream
// makes the peer resync), and acknowledges with our position and durable-uuid vector.
import type { Socket } from 'node:net';
import { F, FRAME_BYTES_MAX, FrameReader, frame } from './replFrames.js';
import type { KeyRec } from '../core/keyrec.js';
import { Reader, decodeOp, maxUuid, readKeyRec } from '../core/codec.js';
import { DIGEST_BYTES } from '../core/digest.js';
import type { Replicator } from './replication.js';
import type { Peer } from './replPeer.js';

export function serveInbound(repl: Replicator, p: Peer, sock: Socket): void {
  const reader = new FrameReader();
  const origin = p.id;
  let snapSeq = -1n;
  let snapClock = 0n;
  /** records merged from the full sync being received */
  let snapRecords = 0;
  let lastFrameMs = Date.now();
  let ackScheduled = false;
  let unit: Array<{ seq: bigint; key: string; delta: KeyRec }> = [];
  let unitBytes = 0;
  const idle = setInterval(() => {
    if (Date.now() - lastFrameMs > repl.node.cfg.replTimeoutSec * 1000) sock.destroy();
  }, 1000);
  idle.unref();
  sock.on('close', () => {
    clearInterval(idle);
    if (snapSeq >= 0n) repl.inboundFullSyncs--;
    snapSeq = -1n;
    if (p.inbound === sock) p.inbound = undefined;
  });
  sock.on('data', (chunk: Buffer) => {
    lastFrameMs = Date.now();
    let ack = false;
    try {
      reader.feed(chunk, (type, payload) => {
        if (type === F.OP || type === F.OP_MORE) {
          const seq = payload.readBigUInt64LE(0);
          const have = repl.applied.get(origin) ?? 0n;
          if (seq <= have) {
            repl.stats.duplicatesDropped++;
            return;
          }
          // ops of a unit (EXEC) wait here until its last op arrives, then apply together;
          // a stream that breaks mid-unit applied none of it, and the resend starts at the unit
          if (seq !== have + BigInt(unit.length) + 1n) {
            repl.stats.gapsDetected++;
            throw new Error(`gap from ${origin}: have ${have}, got ${seq}`);
          }
          const op = decodeOp(payload);
          if (type === F.OP_MORE) {
            unit.push({ seq, key: op.key, delta: op.delta });
            unitBytes += payload.length;
            if (unitBytes > FRAME_BYTES_MAX) throw new Error(`unit from ${origin} exceeds ${FRAME_BYTES_MAX} bytes`);
            return;
          }
          for (const u of unit) repl.applyRemote(origin, u.key, u.delta, u.seq);
          unit = [];
          unitBytes = 0;
          repl.applyRemote(origin, op.key, op.delta, seq);
          ack = true;
        } else if (type === F.SNAP_BEGIN) {
          if (snapSeq < 0n) repl.inboundFullSyncs++;
          snapSeq = payload.readBigUInt64LE(0);
          snapClock = payload.readBigUInt64LE(8);
          snapRecords = 0;
          repl.stats.fullSyncsReceived++;
        } else if (type === F.SNAP_CHUNK) {
          const r = new Reader(payload);
          while (!r.done) {
            const key = r.latin1();
            const rec = readKeyRec(r);
            repl.node.db.clock.observe(maxUuid(rec));
            repl.node.db.join(key, rec);
            snapRecords++;
          }
        } else if (type === F.SNAP_END) {
          if (snapSeq >= 0n) {
            repl.inboundFullSyncs--;
            if (snapSeq > (repl.applied.get(origin) ?? 0n)) repl.applied.set(origin, snapSeq);
            repl.bumpU(origin, snapClock);
            repl.node.stats.changesSinceSnapshot++;
            ack = true;
            if (snapRecords === 0) {
              // an empty keyspace (a new node joining): nothing merged that a snapshot would keep.
              // Its positions reach the next periodic snapshot (changesSinceSnapshot); a crash
              // before it costs a resync, never data. Snapshotting a big keyspace here only to
              // record them held this node's clients (~120 ms at 500k keys) while it was
              // also sending its own full sync.
              repl.stats.emptyFullSyncsMerged++;
              sock.write(frame(F.SNAP_DONE, Buffer.alloc(0)));
              snapSeq = -1n;
              return;
            }
            // make the merged state durable now, then tell the sender: a sender that owed us
            // this state (it held ops their origin lost) may only forget that once we keep it
            void repl.node.snapshotFresh().then(
              () => {
                if (!sock.destroyed) sock.write(frame(F.SNAP_DONE, Buffer.alloc(0)));
              },
              (e: Error) => repl.log.error({ err: e.message }, 'snapshot after full sync failed'),
            );
          }
          snapSeq = -1n;
        } else if (type === F.PING) {
          const r = new Reader(payload);
          const theirSeq = r.u64();
          const peers = r.latin1();
          // membership first: a lifted forget makes a listed peer learnable, a forget drops one
          if (!r.done) repl.onMembers(r.latin1());
          if (repl.peers.get(origin) !== p) throw new Error(`node ${origin} is no longer a replica`);
          repl.learnPeers(peers);
          if ((repl.applied.get(origin) ?? 0n) < theirSeq && snapSeq < 0n) {
            repl.stats.gapsDetected++;
            throw new Error(`gap from ${origin}: have ${repl.applied.get(origin) ?? 0n}, peer at ${theirSeq}`);
          }
          ack = true;
        } else if (type === F.DIGEST) {
          if (payload.length !== 4 + DIGEST_BYTES) throw new Error(`bad digest frame of ${payload.length} bytes`);
          const copy = Buffer.from(payload);
          void repl.ae.onDigest(sock, copy).catch((e: Error) => repl.log.warn({ peer: origin, err: e.message }, 'anti-entropy answer failed'));
        } else if (type === F.PUBLISH) {
          const r = new Reader(payload);
          const channel = r.latin1();
          repl.node.pubsub.publish(channel, r.bytes());
        } else if (type === F.FORGET) {
          const r = new Reader(payload);
          const id = r.varint();
          repl.onMembers(`${id}:o:${r.done ? 0n : r.u64()}`);
        }
      });
    } catch (e) {
      repl.log.warn({ peer: origin, err: (e as Error).message }, 'closing inbound replication stream; the peer will resync');
      sock.destroy();
      return;
    }
    if (ack && !ackScheduled && !sock.destroyed) {
      // one ack per event-loop turn, carrying the position reached by then
      ackScheduled = true;
      setImmediate(() => {
        ackScheduled = false;
        if (!sock.destroyed) sock.write(repl.ackFrame(origin));
      });
    }
  });
}

// Length-prefixed JSON frames for raw-TCP links (beside the gRPC PeerLink): a 4-byte big-endian
// length, then UTF-8 JSON. The decoder joins socket chunks only once a whole frame is there,
// so reassembling a large frame is linear in its size. Used by csp-paxos's peer and client links.
import { QuorumkitError } from '../errors.js';

/** Frames larger than this are refused on both sides. */
export const FRAME_BYTES_MAX = 64 * 1024 * 1024;

export class FrameError extends QuorumkitError {
  constructor(message: string) {
    super('EFRAME', message);
  }
}

/** A frame around `json` (already serialized: callers that splice cached JSON use this). */
export function encodeJsonFrame(json: string): Buffer {
  const body = Buffer.from(json);
  if (body.length > FRAME_BYTES_MAX) throw new FrameError(`frame of ${body.length} bytes exceeds ${FRAME_BYTES_MAX}`);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

export function encodeFrame(payload: unknown): Buffer {
  return encodeJsonFrame(JSON.stringify(payload));
}

/**
 * Accumulates socket chunks and yields whole decoded frames. Throws FrameError on bad input
 * (an oversized length or a body that is not JSON); the caller then drops the connection.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Length of the frame being collected (after its header is read), or -1. */
  private need = -1;
  /** Bytes copied while joining chunks (a linear decoder copies each byte O(1) times). */
  copiedBytes = 0;

  private join(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const buf = Buffer.concat(this.chunks, this.size);
    this.copiedBytes += buf.length;
    this.chunks = [buf];
    return buf;
  }

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.size < 4) break;
        const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.join();
        const len = head.readUInt32BE(0);
        if (len > FRAME_BYTES_MAX) throw new FrameError(`frame length ${len} exceeds ${FRAME_BYTES_MAX}`);
        this.need = len;
      }
      if (this.size < 4 + this.need) break;
      let buf = this.join();
      const body = buf.subarray(4, 4 + this.need);
      buf = buf.subarray(4 + this.need);
      this.need = -1;
      this.chunks = buf.length > 0 ? [buf] : [];
      this.size = buf.length;
      try {
        out.push(JSON.parse(body.toString('utf8')));
      } catch (_e) {
        throw new FrameError('frame is not valid JSON');
      }
    }
    return out;
  }
}

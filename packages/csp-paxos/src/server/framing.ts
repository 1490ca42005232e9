// Length-prefixed JSON frames over TCP: 4-byte big-endian length, then UTF-8 JSON.
import { QuorumkitError } from '@quorumkit/shared-storage';

export const FRAME_BYTES_MAX = 64 * 1024 * 1024;

export class FrameError extends QuorumkitError {
  constructor(message: string) {
    super('EFRAME', message);
  }
}

export function encodeFrame(payload: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(payload));
  if (body.length > FRAME_BYTES_MAX) throw new FrameError(`frame of ${body.length} bytes exceeds ${FRAME_BYTES_MAX}`);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/**
 * Accumulates socket chunks and yields whole decoded frames. Throws FrameError on bad input.
 * Chunks are joined only once a whole frame is there (or to read a 4-byte header), so a large
 * frame arriving in many chunks is copied about once: reassembly is linear in its size.
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

const entriesJson = new WeakMap<object, string>();

/**
 * JSON of one protocol message. A broadcast hands the same `entries` array to every peer's
 * message, so it is serialized once and spliced into each peer's frame.
 */
export function messageJson(m: { entries?: unknown[] } & Record<string, unknown>): string {
  const { entries, ...rest } = m;
  const head = JSON.stringify(rest);
  if (entries === undefined) return head;
  let body = entriesJson.get(entries);
  if (body === undefined) {
    body = JSON.stringify(entries);
    entriesJson.set(entries, body);
  }
  return head.length > 2 ? `${head.slice(0, -1)},"entries":${body}}` : `{"entries":${body}}`;
}

/** A frame of messages from peer `from`, same bytes as encodeFrame({ p: from, m: msgs }). */
export function encodePeerFrame(from: number, msgs: Array<{ entries?: unknown[] } & Record<string, unknown>>): Buffer {
  let json = `{"p":${from},"m":[`;
  for (let i = 0; i < msgs.length; i++) json += (i === 0 ? '' : ',') + messageJson(msgs[i]!);
  json += ']}';
  const body = Buffer.from(json);
  if (body.length > FRAME_BYTES_MAX) throw new FrameError(`frame of ${body.length} bytes exceeds ${FRAME_BYTES_MAX}`);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

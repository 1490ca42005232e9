// csp-paxos's peer frames over the shared raw-TCP framing (@quorumkit/shared-transport): a
// broadcast's entries are serialized once and spliced into every peer's frame.
import { encodeJsonFrame } from '@quorumkit/shared-transport';

export { FRAME_BYTES_MAX, FrameDecoder, FrameError, encodeFrame } from '@quorumkit/shared-transport';

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
  return encodeJsonFrame(json);
}

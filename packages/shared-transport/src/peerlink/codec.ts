// How a PeerLink turns messages into bytes and back.

export interface Codec<M> {
  encode(msg: M): Uint8Array;
  decode(bytes: Uint8Array): M;
}

const BIGINT_TAG = '$bigint';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON that survives bigint: a bigint travels as {"$bigint":"<decimal>"}. */
export const jsonCodec: Codec<any> = {
  encode: (msg) =>
    encoder.encode(JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? { [BIGINT_TAG]: v.toString() } : v))),
  decode: (bytes) =>
    JSON.parse(decoder.decode(bytes), (_k, v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        const tagged = (v as Record<string, unknown>)[BIGINT_TAG];
        if (keys.length === 1 && typeof tagged === 'string') return BigInt(tagged);
      }
      return v;
    }),
};

/** Raw bytes, for systems that encode their own messages (e.g. with protobufjs). */
export const bytesCodec: Codec<Uint8Array> = {
  encode: (msg) => msg,
  decode: (bytes) => bytes,
};

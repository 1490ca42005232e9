// Ballots and values: the seed's BallotNum and Value, as immutable plain objects with
// bigint fields (int64 on the wire; never rounded through number).

export interface Ballot {
  readonly n: bigint;
  readonly proposerId: bigint;
}

export const ZERO_BALLOT: Ballot = Object.freeze({ n: 0n, proposerId: 0n });

export function ballot(n: bigint | number, proposerId: bigint | number): Ballot {
  return { n: BigInt(n), proposerId: BigInt(proposerId) };
}

/** The seed's `BallotNum.GE`: lexicographic on (N, ProposerId); equal ballots are >=. */
export function ballotGE(a: Ballot, b: Ballot): boolean {
  if (a.n !== b.n) return a.n > b.n;
  return a.proposerId >= b.proposerId;
}

export function ballotEq(a: Ballot, b: Ballot): boolean {
  return a.n === b.n && a.proposerId === b.proposerId;
}

export function copyBallot(b: Ballot): Ballot {
  return { n: b.n, proposerId: b.proposerId };
}

export function formatBallot(b: Ballot): string {
  return `(${b.n},${b.proposerId})`;
}

/**
 * A Paxos value: the seed's int64 `Vi64`, or (added) bytes. `tag` is an opaque
 * writer tag so a KV writer can tell its own value from an equal one written by
 * someone else; it is part of the value's identity.
 */
export interface Value {
  readonly vi64: bigint;
  readonly bytes?: Uint8Array;
  readonly tag?: Uint8Array;
  /** added: the bytes are a string's UTF-8 (so it reads back as a string, bytes as bytes) */
  readonly text?: boolean;
}

export function i64Value(v: bigint | number, tag?: Uint8Array): Value {
  return tag ? { vi64: BigInt(v), tag } : { vi64: BigInt(v) };
}

export function bytesValue(b: Uint8Array | string, tag?: Uint8Array): Value {
  const bytes = typeof b === 'string' ? new TextEncoder().encode(b) : b;
  return tag ? { vi64: 0n, bytes, tag } : { vi64: 0n, bytes };
}

/** A string value: its UTF-8 bytes, marked as text. */
export function textValue(s: string, tag?: Uint8Array): Value {
  const bytes = new TextEncoder().encode(s);
  return tag ? { vi64: 0n, bytes, tag, text: true } : { vi64: 0n, bytes, text: true };
}

export function copyValue(v: Value): Value {
  const out: { vi64: bigint; bytes?: Uint8Array; tag?: Uint8Array; text?: boolean } = { vi64: v.vi64 };
  if (v.bytes) out.bytes = Uint8Array.from(v.bytes);
  if (v.bytes && v.text) out.text = true;
  if (v.tag && v.tag.length > 0) out.tag = Uint8Array.from(v.tag);
  return out;
}

function bytesEq(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? EMPTY;
  const y = b ?? EMPTY;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
const EMPTY = new Uint8Array(0);

export function valueEq(a: Value | null, b: Value | null): boolean {
  if (a === null || b === null) return a === b;
  if ((a.bytes === undefined) !== (b.bytes === undefined)) return false;
  if (a.bytes !== undefined && !!a.text !== !!b.text) return false;
  return a.vi64 === b.vi64 && bytesEq(a.bytes, b.bytes) && bytesEq(a.tag, b.tag);
}

export function formatValue(v: Value | null): string {
  if (v === null) return 'nil';
  if (v.bytes) return JSON.stringify(new TextDecoder().decode(v.bytes));
  return v.vi64.toString();
}

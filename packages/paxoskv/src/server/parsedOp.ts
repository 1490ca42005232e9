// One Batch op (unary Batch or a BatchStream frame) checked and converted to core form once.
// The whole batch is parsed before any op runs, so a malformed op changes nothing; the handlers
// then use the parsed form (they used to convert, and copy the value bytes, two or three times).
import type { Ballot, Value } from '../core/index.js';
import { type WireBatchOp, type WireOpKind, ballotFromWire, instanceFromWire, opKindFromWire, valueFromWire } from '../wire/codec.js';

export interface ParsedOp {
  kind: WireOpKind;
  id: { key: string; ver: bigint };
  /** the request's ballot (zero when it carries none) */
  bal: Ballot;
  val: Value | null;
  /** ACCEPT only: the value chosen at ver - 1, a COMMIT riding on this vote */
  prev: Value | null;
}

/** Throws BadRequestError for anything an acceptor would refuse. */
export function parseOp(op: WireBatchOp): ParsedOp {
  const kind = opKindFromWire(op.Kind);
  const req = op.Req ?? {};
  return { kind, id: instanceFromWire(req.Id), bal: ballotFromWire(req.Bal), val: valueFromWire(req.Val), prev: valueFromWire(req.PrevChosen) };
}

// Conversions between the proto messages (64-bit fields as strings) and the core's types.
import { toBigInt, uint64ToWire } from '@quorumkit/shared-transport';
import type { PeerOp, PeerOpKind, PeerResult, PeerStatus } from '../core/index.js';

export interface WirePeerOp {
  id: string;
  kind: string;
  name: string;
  fromId: string;
  toId: string;
  token: string;
  membership?: string;
}

export interface WirePeerResult {
  id: string;
  status: string;
  value: string;
  token: string;
  entries: Array<{ name: string; value: string }>;
  empty: boolean;
  replica?: string;
  error?: string;
}

const KINDS = new Set<PeerOpKind>(['READ', 'ADVANCE', 'RAISE', 'FENCE', 'PROBE']);
const STATUSES = new Set<PeerStatus>(['OK', 'REJECT', 'RECOVERING', 'ERROR']);

export function opToWire(op: PeerOp): WirePeerOp {
  return { id: op.id, kind: op.kind, name: op.name, fromId: uint64ToWire(op.from), toId: uint64ToWire(op.to), token: op.token, membership: op.membership };
}

/** undefined when the op is malformed (it is then answered ERROR and changes nothing). */
export function opFromWire(w: WirePeerOp): PeerOp | undefined {
  try {
    const kind = w.kind as PeerOpKind;
    if (!KINDS.has(kind) || typeof w.name !== 'string') return undefined;
    return { id: String(w.id ?? ''), kind, name: w.name, from: toBigInt(w.fromId), to: toBigInt(w.toId), token: String(w.token ?? ''), membership: String(w.membership ?? '') };
  } catch {
    return undefined;
  }
}

export function resultToWire(r: PeerResult): WirePeerResult {
  return {
    id: r.id,
    status: r.status,
    value: uint64ToWire(r.value),
    token: r.token,
    entries: (r.entries ?? []).map(([name, v]) => ({ name, value: uint64ToWire(v) })),
    empty: r.empty ?? false,
    replica: r.replica ?? '',
    error: r.error ?? '',
  };
}

export function resultFromWire(w: WirePeerResult): PeerResult {
  const status = STATUSES.has(w.status as PeerStatus) ? (w.status as PeerStatus) : 'ERROR';
  const r: PeerResult = { id: String(w.id ?? ''), status, value: toBigInt(w.value), token: w.token };
  if (w.entries.length > 0) r.entries = w.entries.map((e) => [e.name, toBigInt(e.value)]);
  r.empty = w.empty;
  if (w.replica) r.replica = w.replica;
  if (w.error) r.error = w.error;
  return r;
}

/** ':19001' means 127.0.0.1:19001 (as in the seed's quickstart); 'localhost' stays as given. */
export function normalizeAddr(addr: string): string {
  const a = addr.trim();
  if (a.startsWith(':')) return `127.0.0.1${a}`;
  return a;
}

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
  cluster?: string;
  entries?: Array<{ name: string; value: string }>;
  mode?: string;
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
  cluster?: string;
  floor?: string;
  blank?: boolean;
}

const KINDS = new Set<PeerOpKind>(['READ', 'ADVANCE', 'RAISE', 'FENCE', 'PROBE', 'INSTALL']);
const STATUSES = new Set<PeerStatus>(['OK', 'REJECT', 'RECOVERING', 'ERROR']);

export function opToWire(op: PeerOp): WirePeerOp {
  return {
    id: op.id,
    kind: op.kind,
    name: op.name,
    fromId: uint64ToWire(op.from),
    toId: uint64ToWire(op.to),
    token: op.token,
    membership: op.membership,
    cluster: op.cluster ?? '',
    entries: (op.entries ?? []).map(([name, v]) => ({ name, value: uint64ToWire(v) })),
    mode: op.mode ?? '',
  };
}

/** undefined when the op is malformed (it is then answered ERROR and changes nothing). */
export function opFromWire(w: WirePeerOp): PeerOp | undefined {
  try {
    const kind = w.kind as PeerOpKind;
    if (!KINDS.has(kind) || typeof w.name !== 'string') return undefined;
    const op: PeerOp = { id: String(w.id ?? ''), kind, name: w.name, from: toBigInt(w.fromId), to: toBigInt(w.toId), token: String(w.token ?? ''), membership: String(w.membership ?? '') };
    if (w.cluster) op.cluster = String(w.cluster);
    if (w.entries && w.entries.length > 0) op.entries = w.entries.map((e) => [String(e.name), toBigInt(e.value)]);
    if (w.mode === 'init' || w.mode === 'force') op.mode = w.mode;
    return op;
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
    cluster: r.cluster ?? '',
    floor: uint64ToWire(r.floor ?? 0n),
    blank: r.blank ?? false,
  };
}

export function resultFromWire(w: WirePeerResult): PeerResult {
  const status = STATUSES.has(w.status as PeerStatus) ? (w.status as PeerStatus) : 'ERROR';
  const r: PeerResult = { id: String(w.id ?? ''), status, value: toBigInt(w.value), token: w.token };
  if (w.entries.length > 0) r.entries = w.entries.map((e) => [e.name, toBigInt(e.value)]);
  r.empty = w.empty;
  if (w.replica) r.replica = w.replica;
  if (w.error) r.error = w.error;
  if (w.cluster) r.cluster = w.cluster;
  if (w.floor !== undefined && toBigInt(w.floor) > 0n) r.floor = toBigInt(w.floor);
  if (w.blank) r.blank = true;
  return r;
}

/** ':19001' means 127.0.0.1:19001 (as in the seed's quickstart); 'localhost' stays as given. */
export function normalizeAddr(addr: string): string {
  const a = addr.trim();
  if (a.startsWith(':')) return `127.0.0.1${a}`;
  return a;
}

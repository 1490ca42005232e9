// The persist file's previous formats (1 and 2): one JSON snapshot, CRC-framed by
// writeFileAtomic and rewritten whole on every commit. Still read, so that a server
// upgraded in place keeps its state; the first write after start replaces it by a log.
import type { ReplicaState } from '../core/index.js';

/** Cluster id given to a state written before explicit bootstrap existed (format 1). */
export const LEGACY_CLUSTER_ID = 'v1';

export function decodeLegacyState(bytes: Uint8Array): ReplicaState {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as {
    v: number;
    incarnation: string;
    boot: number;
    fence: number;
    ready: boolean;
    cluster?: string;
    blank?: boolean;
    floor?: string;
    values: Array<[string, string]>;
  };
  if (doc.v !== 2 && doc.v !== 1) throw new Error(`unknown state format version ${doc.v}`);
  if (typeof doc.incarnation !== 'string' || !Number.isSafeInteger(doc.boot) || !Number.isSafeInteger(doc.fence) || !Array.isArray(doc.values)) {
    throw new Error('malformed state');
  }
  return {
    incarnation: doc.incarnation,
    boot: doc.boot,
    fence: doc.fence,
    ready: doc.ready === true,
    // Format 1 predates bootstrap: its ready states belong to one unnamed cluster.
    cluster: doc.v === 1 ? (doc.ready === true ? LEGACY_CLUSTER_ID : '') : String(doc.cluster ?? ''),
    blank: doc.v === 1 ? false : doc.blank === true,
    floor: doc.v === 1 ? 1n : BigInt(doc.floor ?? '1'),
    values: new Map(doc.values.map(([k, v]) => [k, BigInt(v)])),
  };
}

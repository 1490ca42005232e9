// snapshot<i>.json beside the instance log: the slot below which this node's instance log,
// values log and learner memory were truncated (every slot below it is committed here or was
// learned as chosen from a peer's snapshot). Written durably (checksummed, temp + fsync +
// rename) BEFORE the logs are cut, so a crash between the two leaves lines below the base
// that the recovery and the checker skip, never a log that starts above its recorded base.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuorumkitError, unframeFile, writeFileAtomicSync } from '@quorumkit/shared-storage';
import type { KeySeen } from '../core/types.js';

export class LogBaseDamaged extends QuorumkitError {
  constructor(path: string, why: string) {
    super('ELOGBASE', `${path}: ${why}`);
  }
}

export function logBasePath(logDir: string, id: number): string {
  return join(logDir, `snapshot${id}.json`);
}

export interface LogBase {
  base: number;
  /** Client keys of the dedup window below the base (the learner decides duplicates with them). */
  keys: KeySeen[];
}

/** The recorded base (0 and no keys when the logs were never truncated). */
export function readLogBase(path: string): LogBase {
  if (!existsSync(path)) return { base: 0, keys: [] };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(unframeFile(readFileSync(path), path)).toString('utf8'));
  } catch (e) {
    throw new LogBaseDamaged(path, (e as Error).message);
  }
  const { base, keys } = (v ?? {}) as { base?: unknown; keys?: unknown };
  if (!Number.isSafeInteger(base) || (base as number) < 0) throw new LogBaseDamaged(path, 'no integer base >= 0');
  const ok = (k: unknown): k is KeySeen => Array.isArray(k) && typeof k[0] === 'string' && Number.isSafeInteger(k[1]) && Number.isSafeInteger(k[2]);
  if (keys !== undefined && (!Array.isArray(keys) || !keys.every(ok))) throw new LogBaseDamaged(path, 'keys must be [key, first, last] triples');
  return { base: base as number, keys: (keys as KeySeen[] | undefined) ?? [] };
}

export function writeLogBase(path: string, base: number, keys: KeySeen[]): void {
  writeFileAtomicSync(path, Buffer.from(JSON.stringify({ v: 1, base, keys })));
}

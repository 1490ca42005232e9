// Where proto/rr_seq.proto is, from src/ (tests) or dist/ (built CLIs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** Absolute path of the wire contract, proto/rr_seq.proto. */
export function rrSeqProtoPath(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto', 'rr_seq.proto');
    if (existsSync(candidate)) return (cached = candidate);
    dir = dirname(dir);
  }
  throw new Error(`proto/rr_seq.proto not found above ${fileURLToPath(import.meta.url)}`);
}

// Command lookup straight from the name's bytes: a hash over the ASCII-lower-cased bytes
// picks the candidates and a byte compare confirms one, so dispatching a command builds no
// string (Buffer.toString + toLowerCase cost an allocation and a copy per command before).
import type { CommandSpec } from './context.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** ASCII lower case of one byte (only A-Z change, as Redis's strcasecmp for command names). */
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

function hashBytes(b: Buffer): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ fold(b[i]!), FNV_PRIME);
  return h >>> 0;
}

function hashName(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ fold(s.charCodeAt(i)), FNV_PRIME);
  return h >>> 0;
}

function sameName(b: Buffer, name: string): boolean {
  if (b.length !== name.length) return false;
  for (let i = 0; i < b.length; i++) if (fold(b[i]!) !== name.charCodeAt(i)) return false;
  return true;
}

/** Longest command name looked up; longer input cannot name a command (and is not hashed). */
const NAME_MAX = 32;

export class CommandIndex {
  private readonly byHash = new Map<number, CommandSpec[]>();

  /** `spec.name` must be lower case. */
  add(spec: CommandSpec): void {
    const h = hashName(spec.name);
    const list = this.byHash.get(h);
    if (list) list.push(spec);
    else this.byHash.set(h, [spec]);
  }

  find(raw: Buffer): CommandSpec | undefined {
    if (raw.length === 0 || raw.length > NAME_MAX) return undefined;
    const list = this.byHash.get(hashBytes(raw));
    if (!list) return undefined;
    for (let i = 0; i < list.length; i++) if (sameName(raw, list[i]!.name)) return list[i];
    return undefined;
  }
}

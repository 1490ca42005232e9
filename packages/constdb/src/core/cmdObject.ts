// OBJECT ENCODING and MEMORY USAGE (issue 22). constdb keeps CRDT records, not Redis's
// encodings, so OBJECT ENCODING answers the encoding redis-server 7.0 gives a value of that
// shape when it is written fresh (its size thresholds at their defaults): int / embstr / raw
// strings, quicklist lists, intset / hashtable sets, listpack / hashtable hashes, listpack /
// skiplist sorted sets. Redis never converts back (a set that once held a non-integer stays
// hashtable; an APPENDed string is raw); constdb reports the shape of the current value.
// MEMORY USAGE estimates the bytes of the key's visible value plus per-entry overheads; it is
// an estimate, not a measurement (V8 gives no per-object sizes), and excludes the CRDT metadata.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { elemLive, keyType, type KeyRec } from './keyrec.js';
import { parseI64, scalarBytes, scalarLive, scalarValue } from './scalar.js';

// redis-server 7.0's built-in defaults (its sample redis.conf says 128 for hashes)
const SET_MAX_INTSET_ENTRIES = 512;
const HASH_MAX_LISTPACK_ENTRIES = 512;
const HASH_MAX_LISTPACK_VALUE = 64;
const ZSET_MAX_LISTPACK_ENTRIES = 128;
const ZSET_MAX_LISTPACK_VALUE = 64;
const EMBSTR_MAX = 44;

/** Redis's string2ll: a canonical decimal int64 (no sign on 0, no leading zeros, no '+'). */
function isCanonicalInt(b: Buffer): boolean {
  if (b.length === 0 || b.length > 20) return false;
  const s = b.toString('latin1');
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return false;
  return parseI64(s) !== undefined;
}

function stringEncoding(v: Buffer): string {
  if (isCanonicalInt(v)) return 'int';
  return v.length <= EMBSTR_MAX ? 'embstr' : 'raw';
}

export function encodingOf(rec: KeyRec): string | undefined {
  switch (keyType(rec)) {
    case 'string': {
      const v = scalarValue(rec.str!);
      return v ? stringEncoding(scalarBytes(v)) : undefined;
    }
    case 'list':
      return 'quicklist';
    case 'set': {
      let n = 0;
      for (const [m, e] of rec.set!) {
        if (!elemLive(e)) continue;
        if (++n > SET_MAX_INTSET_ENTRIES || !isCanonicalInt(Buffer.from(m, 'latin1'))) return 'hashtable';
      }
      return 'intset';
    }
    case 'hash': {
      let n = 0;
      for (const [f, s] of rec.hash!) {
        if (!scalarLive(s)) continue;
        const v = scalarValue(s);
        if (++n > HASH_MAX_LISTPACK_ENTRIES || f.length > HASH_MAX_LISTPACK_VALUE || (v && scalarBytes(v).length > HASH_MAX_LISTPACK_VALUE)) return 'hashtable';
      }
      return 'listpack';
    }
    case 'zset': {
      const seq = rec.zset!.seq!;
      if (seq.length > ZSET_MAX_LISTPACK_ENTRIES) return 'skiplist';
      for (const e of seq) if (e.k.length > ZSET_MAX_LISTPACK_VALUE) return 'skiplist';
      return 'listpack';
    }
    default:
      return undefined;
  }
}

// rough per-entry overheads of the record shapes (Map entry, object header, dot)
const KEY_OVERHEAD = 64;
const ENTRY_OVERHEAD = 48;

export function memoryEstimate(key: string, rec: KeyRec): number {
  let bytes = KEY_OVERHEAD + key.length;
  switch (keyType(rec)) {
    case 'string': {
      const v = scalarValue(rec.str!);
      bytes += v ? scalarBytes(v).length + ENTRY_OVERHEAD : 0;
      break;
    }
    case 'set':
      for (const [m, e] of rec.set!) if (elemLive(e)) bytes += m.length + ENTRY_OVERHEAD;
      break;
    case 'hash':
      for (const [f, s] of rec.hash!) {
        const v = scalarLive(s) ? scalarValue(s) : undefined;
        if (v) bytes += f.length + scalarBytes(v).length + 2 * ENTRY_OVERHEAD;
      }
      break;
    case 'list':
      for (const e of rec.list!.seq!) bytes += e.v!.length + e.id.length + ENTRY_OVERHEAD;
      break;
    case 'zset':
      for (const e of rec.zset!.seq!) bytes += e.k.length + 8 + ENTRY_OVERHEAD;
      break;
  }
  return bytes;
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation Redis would use for the value stored at <key> (constdb stores CRDT records).',
  'HELP',
  '    Print this help.',
];

export function cmdObject(ctx: CmdCtx, args: Buffer[]): void {
  const sub = lower(args[1]!);
  if (sub === 'help' && args.length === 2) {
    ctx.out.arr(OBJECT_HELP.length);
    for (const l of OBJECT_HELP) ctx.out.simple(l);
    return;
  }
  if (sub === 'encoding') {
    if (args.length !== 3) return ctx.out.error(`ERR wrong number of arguments for 'object|encoding' command`);
    const rec = ctx.db.lookup(keyOf(args[2]!), ctx.now);
    const enc = rec && encodingOf(rec);
    return enc ? ctx.out.bulk(enc) : ctx.out.nil();
  }
  if (sub === 'refcount' || sub === 'idletime' || sub === 'freq') {
    return ctx.out.error(`ERR OBJECT ${sub.toUpperCase()} is not supported by constdb (it keeps no reference counts or access times)`);
  }
  ctx.out.error(`ERR unknown subcommand '${args[1]!.toString()}'. Try OBJECT HELP.`);
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'USAGE <key> [SAMPLES <count>]',
  '    Return an estimate of the bytes the value at <key> takes (constdb: visible value plus per-entry overheads).',
  'HELP',
  '    Print this help.',
];

export function cmdMemory(ctx: CmdCtx, args: Buffer[]): void {
  const sub = lower(args[1]!);
  if (sub === 'help' && args.length === 2) {
    ctx.out.arr(MEMORY_HELP.length);
    for (const l of MEMORY_HELP) ctx.out.simple(l);
    return;
  }
  if (sub === 'usage') {
    if (args.length < 3) return ctx.out.error(`ERR wrong number of arguments for 'memory|usage' command`);
    for (let i = 3; i < args.length; i += 2) {
      if (lower(args[i]!) !== 'samples' || i + 1 >= args.length) return ctx.out.error(ERR.syntax);
      const n = parseI64(args[i + 1]!);
      if (n === undefined) return ctx.out.error(ERR.notInt);
      if (n < 0n) return ctx.out.error(ERR.syntax);
    }
    const key = keyOf(args[2]!);
    const rec = ctx.db.lookup(key, ctx.now);
    return rec && keyType(rec) ? ctx.out.int(memoryEstimate(key, rec)) : ctx.out.nil();
  }
  if (['doctor', 'stats', 'malloc-stats', 'purge'].includes(sub)) {
    return ctx.out.error(`ERR MEMORY ${sub.toUpperCase()} is not supported by constdb (INFO memory has the process figures)`);
  }
  ctx.out.error(`ERR unknown subcommand '${args[1]!.toString()}'. Try MEMORY HELP.`);
}

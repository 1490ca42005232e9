import * as fs from 'node:fs';
import * as path from 'node:path';
import { HarnessError } from '../errors.js';
import { Prng } from '../sim/prng.js';

/** A disk fault refused: target outside the given directory, node up, bad argument, nothing to damage. */
export class DiskFaultError extends HarnessError {}

/** One change made by a disk fault, precise enough to replay it by hand. */
export interface DiskChange {
  file: string;
  action: 'delete' | 'truncate' | 'flip';
  /** truncate: old and new size. */
  fromSize?: number;
  toSize?: number;
  /** flip: byte offset, old and new byte. */
  offset?: number;
  oldByte?: number;
  newByte?: number;
}

export interface DiskFaultGuard {
  /** When given and true, the fault is refused: a running node's files are never touched. */
  isUp?: () => boolean;
}

function guard(g: DiskFaultGuard | undefined, what: string): void {
  if (g?.isUp?.()) throw new DiskFaultError('NODE_UP', `${what}: refused, the node is up (stop it first)`);
}

/** Resolves `target` and refuses it unless it lies inside `root` (symlinks resolved). */
function inside(root: string, target: string): string {
  const r = fs.realpathSync(root);
  const t = fs.existsSync(target) ? fs.realpathSync(target) : path.resolve(target);
  const rel = path.relative(r, t);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new DiskFaultError('OUTSIDE_DIR', `refused: ${target} is not inside ${root}`);
  }
  return t;
}

/** Every regular file under dir, sorted so a seed picks the same file on every machine. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Removes everything inside dir (dir itself stays, empty). */
export function wipeDir(dir: string, g?: DiskFaultGuard): DiskChange[] {
  guard(g, 'wipeDir');
  if (!fs.existsSync(dir)) return [];
  const changes = listFiles(dir).map((file): DiskChange => ({ file, action: 'delete' }));
  for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
  return changes;
}

/** Deletes the files under dir whose path relative to dir matches. */
export function deleteFiles(dir: string, match: RegExp, g?: DiskFaultGuard): DiskChange[] {
  guard(g, 'deleteFiles');
  const changes: DiskChange[] = [];
  for (const file of listFiles(dir)) {
    if (!match.test(path.relative(dir, file))) continue;
    fs.rmSync(file);
    changes.push({ file, action: 'delete' });
  }
  return changes;
}

export interface TruncateOptions {
  /** 'half': size/2; 'mid-record': a seeded offset strictly inside the file (a torn tail); a number: that size. */
  at: 'half' | 'mid-record' | number;
  seed?: number;
  /** When given, the file must be inside this directory. */
  root?: string;
}

export function truncateFile(file: string, opts: TruncateOptions, g?: DiskFaultGuard): DiskChange {
  guard(g, 'truncateFile');
  if (opts.root !== undefined) inside(opts.root, file);
  const size = fs.statSync(file).size;
  let to: number;
  if (opts.at === 'half') to = Math.floor(size / 2);
  else if (opts.at === 'mid-record') {
    if (size < 2) throw new DiskFaultError('TOO_SMALL', `truncateFile: ${file} has ${size} bytes, nothing to tear`);
    to = new Prng(opts.seed ?? 0).int(1, size - 1);
  } else {
    if (!Number.isInteger(opts.at) || opts.at < 0 || opts.at > size) {
      throw new DiskFaultError('BAD_OFFSET', `truncateFile: size ${opts.at} not in [0, ${size}] for ${file}`);
    }
    to = opts.at;
  }
  fs.truncateSync(file, to);
  return { file, action: 'truncate', fromSize: size, toSize: to };
}

export interface FlipOptions {
  seed: number;
  count: number;
  /** head: first 64 bytes, tail: last 64 bytes, any: whole file, [start, end): that range. */
  region?: 'head' | 'tail' | 'any' | [number, number];
  root?: string;
}

const EDGE = 64;

/** Flips one seeded bit in each of `count` distinct seeded bytes of the region. */
export function flipBytes(file: string, opts: FlipOptions, g?: DiskFaultGuard): DiskChange[] {
  guard(g, 'flipBytes');
  if (opts.root !== undefined) inside(opts.root, file);
  const buf = fs.readFileSync(file);
  const size = buf.length;
  const region = opts.region ?? 'any';
  const [start, end] =
    region === 'head' ? [0, Math.min(size, EDGE)]
    : region === 'tail' ? [Math.max(0, size - EDGE), size]
    : region === 'any' ? [0, size]
    : region;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= size && start < end)) {
    throw new DiskFaultError('BAD_REGION', `flipBytes: region [${start}, ${end}) is empty or outside ${file} (${size} bytes)`);
  }
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > end - start) {
    throw new DiskFaultError('BAD_COUNT', `flipBytes: count ${opts.count} not in [1, ${end - start}]`);
  }
  const rng = new Prng(opts.seed);
  const offsets = new Set<number>();
  while (offsets.size < opts.count) offsets.add(rng.int(start, end - 1));
  const changes: DiskChange[] = [];
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    const oldByte = buf[offset]!;
    const newByte = oldByte ^ (1 << rng.int(0, 7));
    buf[offset] = newByte;
    changes.push({ file, action: 'flip', offset, oldByte, newByte });
  }
  // Write in place (same inode), as a bad sector or a stray write would.
  const fd = fs.openSync(file, 'r+');
  try {
    for (const c of changes) fs.writeSync(fd, buf, c.offset!, 1, c.offset!);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return changes;
}

export interface CorruptOptions {
  seed: number;
  mode: 'flip' | 'truncate' | 'delete';
  /** Only files whose path relative to dir matches (e.g. /\.log$/ for LevelDB WALs, /CURRENT/). */
  match?: RegExp;
  /** flip: how many bytes (default 1). */
  count?: number;
}

/** Damages one seeded file under dir; returns exactly what was done. */
export function corruptDir(dir: string, opts: CorruptOptions, g?: DiskFaultGuard): DiskChange[] {
  guard(g, 'corruptDir');
  const rng = new Prng(opts.seed);
  const files = listFiles(dir).filter((f) => {
    if (opts.match && !opts.match.test(path.relative(dir, f))) return false;
    return opts.mode === 'delete' || fs.statSync(f).size >= (opts.mode === 'truncate' ? 2 : 1);
  });
  if (files.length === 0) {
    throw new DiskFaultError('NOTHING_TO_CORRUPT', `corruptDir: no file under ${dir} matches ${opts.match ?? 'any'} for mode ${opts.mode}`);
  }
  const file = rng.pick(files);
  inside(dir, file);
  const sub = Math.floor(rng.next() * 4294967296);
  switch (opts.mode) {
    case 'delete':
      fs.rmSync(file);
      return [{ file, action: 'delete' }];
    case 'truncate':
      return [truncateFile(file, { at: 'mid-record', seed: sub })];
    case 'flip': {
      const size = fs.statSync(file).size;
      return flipBytes(file, { seed: sub, count: Math.min(size, opts.count ?? 1) });
    }
  }
}

/** One line per change: `flip node1/acceptor.log @12 0x41->0x43`. */
export function describeChanges(changes: DiskChange[], base?: string): string {
  if (changes.length === 0) return '(nothing)';
  return changes
    .map((c) => {
      const f = base ? path.relative(base, c.file) : c.file;
      if (c.action === 'flip') return `flip ${f} @${c.offset} 0x${c.oldByte!.toString(16).padStart(2, '0')}->0x${c.newByte!.toString(16).padStart(2, '0')}`;
      if (c.action === 'truncate') return `truncate ${f} ${c.fromSize}->${c.toSize}`;
      return `delete ${f}`;
    })
    .join('; ');
}

// Test helpers: spawn the built constdb-server, a raw RESP client, optional Debian tools.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const CLI = join(PKG, 'dist/cli/constdb-server.js');

export function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * redis-benchmark 7.0's default test list, in its order (the CSV names of `redis-benchmark
 * --csv` without -t): issue 22's acceptance runs all of them.
 */
export const REDIS_BENCHMARK_DEFAULT_TESTS = [
  'PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN',
  'LPUSH (needed to benchmark LRANGE)', 'LRANGE_100 (first 100 elements)', 'LRANGE_300 (first 300 elements)',
  'LRANGE_500 (first 500 elements)', 'LRANGE_600 (first 600 elements)', 'MSET (10 keys)',
];

/** Test names of redis-benchmark --csv output, in order. */
export function benchmarkCsvTests(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('"') && !l.startsWith('"test"')).map((l) => l.split(',')[0]!.replace(/"/g, ''));
}

export function tmp(prefix = 'constdb-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Proc { child: ChildProcess; port: number; out: () => string; stop(sig?: NodeJS.Signals): Promise<number | null> }

export async function startProc(command: string, args: string[], port: number, ready: RegExp, timeoutMs = 30_000): Promise<Proc> {
  if (command === process.execPath && !existsSync(CLI)) throw new Error(`${CLI} missing: build the package first (npx nx run constdb:build)`);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out)) {
    if (child.exitCode !== null) throw new Error(`process exited early: ${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`not ready in time: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  return {
    child,
    port,
    out: () => out,
    stop: async (sig = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      return exited;
    },
  };
}

export function startConstdb(port: number, extra: string[] = [], dir = tmp()): Promise<Proc> {
  return startProc(process.execPath, [CLI, '--port', String(port), '--work-dir', dir, '--log-level', 'warn', ...extra], port, /ready on/);
}

export type Reply = string | number | bigint | null | { err: string } | Reply[];

/** Minimal RESP2 client that returns parsed replies (for raw comparisons). */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: Array<(r: Reply) => void> = [];
  closed = false;
  constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const r = parseReply(this.buf, 0);
        if (!r) break;
        this.buf = this.buf.subarray(r[1]);
        this.waiting.shift()?.(r[0]);
      }
    });
    sock.on('close', () => (this.closed = true));
  }
  static async open(port: number): Promise<RawClient> {
    const sock = connect({ host: '127.0.0.1', port });
    await new Promise<void>((res, rej) => {
      sock.once('connect', () => res());
      sock.once('error', rej);
    });
    return new RawClient(sock);
  }
  call(...args: string[]): Promise<Reply> {
    let s = `*${args.length}\r\n`;
    for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    return this.send(Buffer.from(s));
  }
  send(bytes: Buffer): Promise<Reply> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('reply timeout')), 20_000);
      this.waiting.push((r) => {
        clearTimeout(t);
        res(r);
      });
      this.sock.write(bytes);
    });
  }
  /** The next reply nobody asked for (a pub/sub message), within a deadline. */
  next(ms = 20_000): Promise<Reply> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('no message')), ms);
      this.waiting.push((r) => {
        clearTimeout(t);
        res(r);
      });
    });
  }
  close(): void {
    this.sock.destroy();
  }
}

function parseReply(b: Buffer, p: number): [Reply, number] | undefined {
  const nl = b.indexOf('\r\n', p);
  if (nl < 0) return undefined;
  const t = String.fromCharCode(b[p]!);
  const line = b.toString('utf8', p + 1, nl);
  const next = nl + 2;
  if (t === '+') return [line, next];
  if (t === '-') return [{ err: line }, next];
  if (t === ':') return [BigInt(line), next];
  if (t === '$') {
    const n = Number(line);
    if (n < 0) return [null, next];
    if (b.length < next + n + 2) return undefined;
    return [b.toString('latin1', next, next + n), next + n + 2];
  }
  if (t === '_') return [null, next];
  if (t === ',') return [line, next];
  if (t === '*' || t === '>' || t === '%') {
    const n = Number(line) * (t === '%' ? 2 : 1);
    if (n < 0) return [null, next];
    const arr: Reply[] = [];
    let q = next;
    for (let i = 0; i < n; i++) {
      const r = parseReply(b, q);
      if (!r) return undefined;
      arr.push(r[0]);
      q = r[1];
    }
    return [t === '>' ? [{ push: true } as unknown as Reply, ...arr] : arr, q];
  }
  throw new Error(`bad reply type ${t}`);
}

// Flag and argument parsing for the CLI. Every bad input becomes a UsageError with
// one clear line; nothing is guessed.
import { UsageError } from '../errors.js';
import type { KvValue } from '../client/kvClient.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** 'host:port' (IPv6 as [::1]:port). `allowZero` for listening on any free port. */
export function parseAddress(s: string, allowZero = false): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowZero)) {
    throw new UsageError(`bad address '${s}': expected host:port with a port 1-65535, e.g. 127.0.0.1:3333`);
  }
  return `${m[1]}:${port}`;
}

export function parseAddressList(s: string): string[] {
  const parts = s.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new UsageError(`bad --acceptors '${s}': expected a comma-separated list of host:port`);
  const out = parts.map((p) => parseAddress(p));
  if (new Set(out).size !== out.length) throw new UsageError(`bad --acceptors '${s}': an address is listed twice`);
  return out;
}

export function parseVersion(s: string): bigint {
  if (!/^\d+$/.test(s.trim())) throw new UsageError(`bad version '${s}': expected a non-negative integer`);
  const v = BigInt(s.trim());
  if (v > INT64_MAX) throw new UsageError(`bad version '${s}': larger than int64`);
  return v;
}

export function parseCount(s: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(s.trim())) throw new UsageError(`bad ${what} '${s}': expected an integer ${min}-${max}`);
  const n = Number(s);
  if (n < min || n > max) throw new UsageError(`bad ${what} '${s}': expected an integer ${min}-${max}`);
  return n;
}

export type ValueType = 'auto' | 'int' | 'string';

export function parseValueType(s: string): ValueType {
  if (s === 'auto' || s === 'int' || s === 'string') return s;
  throw new UsageError(`bad value type '${s}': expected auto, int or string`);
}

/** auto: an integer literal is an int64 (the seed's Vi64), anything else a string. */
export function parseValue(s: string, type: ValueType): KvValue {
  const isInt = /^-?\d+$/.test(s);
  if (type === 'string' || (type === 'auto' && !isInt)) return s;
  if (!isInt) throw new UsageError(`bad value '${s}': not an int64 (use --type string for text)`);
  const v = BigInt(s);
  if (v < INT64_MIN || v > INT64_MAX) throw new UsageError(`bad value '${s}': out of the int64 range (use --type string to store it as text)`);
  return v;
}

export function formatKvValue(v: KvValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return v;
  return `0x${Buffer.from(v).toString('hex')}`;
}

import { Db } from '../src/core/db.js';
import { ReplyBuffer } from '../src/core/encode.js';
import { dispatch } from '../src/core/commands.js';
import type { ServerHooks, Session } from '../src/core/context.js';
import { keyType, type KeyRec, elemLive, keyClone } from '../src/core/keyrec.js';
import { scalarLive, scalarValue, scalarBytes, scalarFull, type Scalar } from '../src/core/scalar.js';
import { type LElem, forEachElem } from '../src/core/list.js';
import { type Elem, elemAdds } from '../src/core/setElem.js';

export const hooks: ServerHooks = { info: () => '', configGet: () => [], clientList: () => '' };

/** A node of the pure core with its emitted deltas. */
export class TestNode {
  readonly db: Db;
  readonly out = new ReplyBuffer();
  readonly sess: Session = { id: 1, authed: true, lastWrite: 0n };
  readonly emitted: Array<[string, KeyRec]> = [];
  now = 1_000_000;

  constructor(id: number) {
    this.db = new Db(id);
    this.db.emit = (k, d) => this.emitted.push([k, keyClone(d)]);
  }

  /** Runs one command; returns the raw RESP reply. */
  run(...args: string[]): string {
    const r = dispatch({ db: this.db, now: this.now, out: this.out, sess: this.sess, server: hooks }, args.map((a) => Buffer.from(a, 'latin1')));
    if (r) throw new Error('async command in pure test');
    return this.out.take().toString('latin1');
  }
}

export type View = Record<string, string | string[] | Record<string, string> | { list: string[] } | { zset: Array<[string, number]> }>;

/** What a client can observe: every existing key with its type's value. */
export function view(db: Db, now: number): View {
  const v: View = {};
  for (const k of [...db.keys.keys()].sort()) {
    const rec = db.lookup(k, now);
    if (!rec) continue;
    const t = keyType(rec);
    if (t === 'string') v[k] = scalarBytes(scalarValue(rec.str!)!).toString('latin1');
    else if (t === 'set') v[k] = [...rec.set!].filter(([, e]) => elemLive(e)).map(([m]) => m).sort();
    else if (t === 'hash') {
      const h: Record<string, string> = {};
      for (const [f, s] of [...rec.hash!].sort(([a], [b]) => (a < b ? -1 : 1))) if (scalarLive(s)) h[f] = scalarBytes(scalarValue(s)!).toString('latin1');
      v[k] = h;
    } else if (t === 'list') v[k] = { list: [...rec.list!.seq!].map((e) => e.v!.toString('latin1')) };
    else if (t === 'zset') v[k] = { zset: [...rec.zset!.seq!].map((e) => [e.k, e.sc] as [string, number]) };
  }
  return v;
}

/** Canonical form of a whole record (every map sorted), for state equality. */
export function canon(rec: KeyRec): string {
  if (rec.list) {
    // a keyspace record keeps its live list elements in seq only: compare every element
    const all = new Map<string, LElem>();
    forEachElem(rec.list, (e) => all.set(e.id, e));
    rec = { ...rec, list: { m: all } };
  }
  const m = (x: Map<unknown, unknown> | undefined): unknown =>
    x ? [...x].map(([k, v]) => [String(k), norm(v)]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)) : null;
  const norm = (v: unknown): unknown => {
    if (v instanceof Map) return m(v);
    // a compact scalar (scalar.ts) is the same state as its Map form
    if (v && typeof v === 'object' && ('rn' in v || 'cn' in v || 'kn' in v)) v = scalarFull(v as Scalar);
    // a compact set member likewise
    if (v && typeof v === 'object' && 'an' in v) v = { ...(v as Elem), add: elemAdds(v as Elem), an: undefined, au: undefined };
    if (typeof v === 'bigint') return v.toString();
    if (Buffer.isBuffer(v)) return v.toString('hex');
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const val = (v as Record<string, unknown>)[k];
        if (val === undefined) continue;
        if (val instanceof Map && val.size === 0) continue;
        if (k === 'seq') continue; // a derived index (lists, sorted sets), not state
        o[k] = norm(val);
      }
      return o;
    }
    return v;
  };
  return JSON.stringify(norm(rec));
}

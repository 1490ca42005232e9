// Issue 17 item 4 at the byte level: a client generated from the seed's proto must find in our
// replies to Prepare/Accept only the fields the seed's proto declares (Acceptor 1-3, BallotNum
// 1-2, Value 1). An added field holding its default (Value.Vbytes/IsBytes/Tag, Acceptor.Chosen)
// is an unknown field to such a client, and Go's proto.Equal and Python's == compare unknown
// fields. The replies are read raw (no decoder that would drop unknown fields) and walked.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcceptorServer, serveAcceptors } from '../src/index.js';

// ---- a minimal protobuf wire writer/walker (the test must not trust our own codec) ----
function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const field = (no: number, type: 0 | 2, payload: number[]): number[] =>
  type === 0 ? [...varint(BigInt((no << 3) | 0)), ...payload] : [...varint(BigInt((no << 3) | 2)), ...varint(BigInt(payload.length)), ...payload];
const i64 = (no: number, v: bigint) => (v === 0n ? [] : field(no, 0, varint(v)));
const msg = (no: number, body: number[]) => field(no, 2, body);
const ballotMsg = (no: number, n: bigint, pid: bigint) => msg(no, [...i64(1, n), ...i64(2, pid)]);
function proposer(key: string, ver: bigint, n: bigint, pid: bigint, vi64?: bigint): Buffer {
  return Buffer.from([
    ...msg(1, [...field(1, 2, [...Buffer.from(key)]), ...i64(2, ver)]),
    ...ballotMsg(2, n, pid),
    ...(vi64 === undefined ? [] : msg(3, i64(1, vi64))),
  ]);
}

type Fields = Map<number, { varint?: bigint; sub?: Uint8Array }[]>;
function walk(buf: Uint8Array): Fields {
  const out: Fields = new Map();
  let i = 0;
  const readVarint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(readVarint());
    const no = tag >> 3;
    const type = tag & 7;
    const list = out.get(no) ?? [];
    if (type === 0) list.push({ varint: readVarint() });
    else if (type === 2) {
      const len = Number(readVarint());
      list.push({ sub: buf.subarray(i, i + len) });
      i += len;
    } else throw new Error(`unexpected wire type ${type} for field ${no}`);
    out.set(no, list);
  }
  return out;
}
/** Field numbers outside the seed's proto, as paths like "Acceptor.4" or "Acceptor.Val.2". */
function unknownFields(reply: Uint8Array): string[] {
  const bad: string[] = [];
  const seed: Record<string, number[]> = { Acceptor: [1, 2, 3], BallotNum: [1, 2], Value: [1] };
  const sub: Record<number, string> = { 1: 'BallotNum', 2: 'Value', 3: 'BallotNum' };
  const top = walk(reply);
  for (const [no, vals] of top) {
    if (!seed.Acceptor!.includes(no)) {
      bad.push(`Acceptor.${no}`);
      continue;
    }
    for (const v of vals) for (const inner of walk(v.sub!).keys()) if (!seed[sub[no]!]!.includes(inner)) bad.push(`Acceptor.${no}.${inner}`);
  }
  return bad;
}

let servers: AcceptorServer[] = [];
let client: grpc.Client;
const raw = (method: 'Prepare' | 'Accept', body: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    client.makeUnaryRequest(`/paxoskv.PaxosKV/${method}`, (b: Buffer) => b, (b: Buffer) => b, body, { deadline: Date.now() + 20_000 }, (e, r) => (e ? reject(e) : resolve(r!))),
  );

beforeAll(async () => {
  servers = await serveAcceptors(1, { basePort: 0 });
  client = new grpc.Client(servers[0]!.address, grpc.credentials.createInsecure());
}, 60_000);
afterAll(async () => {
  client?.close();
  await Promise.allSettled(servers.map((s) => s.close()));
});

describe('replies to a seed client hold only the seed proto fields (issue 17 item 4)', () => {
  it('Prepare of an untouched instance, Accept, Prepare of a voted one, Accept of value 0', async () => {
    const replies = [
      await raw('Prepare', proposer('w', 0n, 1n, 10n)),
      await raw('Accept', proposer('w', 0n, 1n, 10n, 10n)),
      await raw('Prepare', proposer('w', 0n, 2n, 11n)),
      await raw('Accept', proposer('w', 1n, 1n, 10n, 0n)),
      await raw('Prepare', proposer('w', 1n, 2n, 11n)),
    ];
    for (const r of replies) expect(unknownFields(r)).toEqual([]);
    // and the seed fields are there: the voted value 10 at (1,10)
    const p = walk(replies[2]!);
    expect(walk(p.get(2)![0]!.sub!).get(1)![0]!.varint).toBe(10n);
    expect(walk(p.get(3)![0]!.sub!).get(2)![0]!.varint).toBe(10n);
  });

  it('an Accept refused because another value was learned chosen: the seed rejection, nothing added', async () => {
    const [s] = servers;
    // learn 7 as chosen for w@5 (a COMMIT from one of our clients)
    await s!.store.apply({ key: 'w', ver: 5n }, (st) => ({ next: { ...st, chosen: { vi64: 7n } }, changed: true, reply: undefined }));
    const r = await raw('Accept', proposer('w', 5n, 9n, 1n, 0n));
    expect(unknownFields(r)).toEqual([]);
    const last = walk(walk(r).get(1)![0]!.sub!);
    expect(last.get(1)![0]!.varint).toBe(9n); // a LastBal above (9,1): the seed's "rejected"
    expect(last.get(2)![0]!.varint).toBe(2n);
  });
});

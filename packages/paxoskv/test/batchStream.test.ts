// BatchStream: the binary frame body round-trips every field and refuses malformed bytes; a link
// sends many batches over ONE stream; a refused frame answers its error and the stream goes on;
// against an acceptor without BatchStream the link falls back to unary Batch calls.
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcServer, type GrpcServer } from '@quorumkit/shared-transport';
import { AcceptorLink, PROTO_PATH, SERVICE_NAME, serveAcceptors, type AcceptorServer } from '../src/index.js';
import { decodeOps, decodeReplies, encodeOps, encodeReplies } from '../src/wire/binaryBatch.js';
import { BadRequestError } from '../src/errors.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('binary batch body', () => {
  const ops = [
    { Kind: 'PREPARE' as const, Req: { Id: { Key: 'k', Ver: '0' }, Bal: { N: '1', ProposerId: '9223372036854775807' } } },
    {
      Kind: 'ACCEPT' as const,
      Req: {
        Id: { Key: 'ключ', Ver: '42' },
        Bal: { N: '3', ProposerId: '-5' },
        Val: { Vi64: '-9223372036854775808', IsBytes: true, Vbytes: bytes('hello'), IsText: true, Tag: bytes('tag-1') },
        PrevChosen: { Vi64: '7' },
      },
    },
    { Kind: 'COMMIT' as const, Req: { Id: { Key: '', Ver: '1' }, Val: { Vi64: '0', IsBytes: true, Vbytes: new Uint8Array(0) } } },
    { Kind: 'LATEST' as const, Req: { Id: { Key: 'x', Ver: '0' } } },
    { Kind: 'PREPARE_FROM' as const, Req: { Id: { Key: 'x', Ver: '5' }, Bal: { N: '2', ProposerId: '1' } } },
  ];

  it('ops round-trip with every field', () => {
    const back = decodeOps(encodeOps(ops));
    expect(back.map((o) => o.Kind)).toEqual([0, 1, 2, 4, 5]);
    const a = back[1]!.Req!;
    expect(a.Id).toEqual({ Key: 'ключ', Ver: 42n });
    expect(a.Bal).toEqual({ N: 3n, ProposerId: -5n });
    expect(a.Val).toEqual({ Vi64: -(2n ** 63n), IsBytes: true, Vbytes: bytes('hello'), IsText: true, Tag: bytes('tag-1') });
    expect(a.PrevChosen).toEqual({ Vi64: 7n });
    expect(back[0]!.Req!.Bal).toEqual({ N: 1n, ProposerId: 2n ** 63n - 1n });
    expect(back[2]!.Req!.Val).toEqual({ Vi64: 0n, IsBytes: true, Vbytes: new Uint8Array(0) });
    expect(back[3]!.Req).toEqual({ Id: { Key: 'x', Ver: 0n } });
  });

  it('replies round-trip with every field', () => {
    const v = { vi64: 5n, bytes: bytes('b'), text: true, tag: bytes('t') };
    const body = encodeReplies([
      { r: { lastBal: { n: 1n, proposerId: 2n }, val: null, vBal: null, chosen: null } },
      { r: { lastBal: { n: 3n, proposerId: 4n }, val: v, vBal: { n: 3n, proposerId: 4n }, chosen: { vi64: -1n } }, ver: -1n },
    ]);
    const back = decodeReplies(body);
    expect(back[0]).toEqual({ LastBal: { N: 1n, ProposerId: 2n }, Val: null, VBal: null, Chosen: null });
    expect(back[1]).toEqual({
      LastBal: { N: 3n, ProposerId: 4n },
      Val: { Vi64: 5n, IsBytes: true, Vbytes: bytes('b'), IsText: true, Tag: bytes('t') },
      VBal: { N: 3n, ProposerId: 4n },
      Chosen: { Vi64: -1n },
      Ver: -1n,
    });
  });

  it('every truncation, trailing bytes, an unknown kind or format and a huge count are BadRequestError', () => {
    const body = encodeOps(ops);
    for (let n = 0; n < body.length; n++) expect(() => decodeOps(body.subarray(0, n)), `cut at ${n}`).toThrow(BadRequestError);
    expect(() => decodeOps(Uint8Array.from([...body, 0]))).toThrow(/after its last entry/);
    const badKind = Uint8Array.from(body);
    badKind[5] = 9;
    expect(() => decodeOps(badKind)).toThrow(/Kind 9 is unknown/);
    const badFormat = Uint8Array.from(body);
    badFormat[0] = 2;
    expect(() => decodeOps(badFormat)).toThrow(/format 2/);
    expect(() => decodeOps(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff]))).toThrow(/at most/);
    const replies = encodeReplies([{ r: { lastBal: { n: 1n, proposerId: 1n }, val: { vi64: 1n, bytes: bytes('xy') }, vBal: null, chosen: null }, ver: 3n }]);
    for (let n = 0; n < replies.length; n++) expect(() => decodeReplies(replies.subarray(0, n)), `cut at ${n}`).toThrow(BadRequestError);
  });

  it('a key over the limit is refused while decoding', () => {
    const body = encodeOps([{ Kind: 'PREPARE', Req: { Id: { Key: 'k'.repeat(4097), Ver: '0' } } }]);
    expect(() => decodeOps(body)).toThrow(/PaxosInstanceId.Key: 4097 bytes/);
  });
});

let servers: AcceptorServer[] = [];
let links: AcceptorLink[] = [];
let bare: GrpcServer | undefined;
afterEach(async () => {
  links.forEach((l) => l.close());
  links = [];
  await Promise.allSettled(servers.map((s) => s.close()));
  servers = [];
  await bare?.close();
  bare = undefined;
});

const prepare = (key: string, ver: number, n: number) => ({ Id: { Key: key, Ver: String(ver) }, Bal: { N: String(n), ProposerId: '1' } });

describe('BatchStream link', () => {
  it('carries many batches over one stream; a refused frame answers its error and the stream goes on', async () => {
    servers = await serveAcceptors(1, { basePort: 0 });
    const link = new AcceptorLink(servers[0]!.address, { callTimeoutMs: 20_000 });
    links.push(link);
    const signal = new AbortController().signal;
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => link.request('PREPARE', prepare(`k${i}`, round, 2), signal)));
      for (const a of replies) expect(a.reply.LastBal).toEqual({ N: 0n, ProposerId: 0n });
    }
    // the acceptor answered as itself (fencing needs the origin on stream replies too)
    const a = await link.request('ACCEPT', { ...prepare('k0', 0, 2), Val: { Vi64: '9' } }, signal);
    expect(a.origin).toEqual({ acceptor: 0, incarnation: 0n, known: [0n] });
    expect(a.reply.LastBal).toEqual({ N: 2n, ProposerId: 1n });
    // a frame the acceptor refuses: BadRequest with its code, nothing changed
    await expect(link.request('ACCEPT', { Id: { Key: 'k0', Ver: '0' }, Bal: { N: '3', ProposerId: '1' }, Val: { Vi64: '1', Tag: new Uint8Array(65) } }, signal)).rejects.toMatchObject({
      code: 'EBADREQUEST',
    });
    const after = await link.request('LEARN', { Id: { Key: 'k0', Ver: '0' } }, signal);
    expect(after.reply.Val).toEqual({ Vi64: 9n });
    expect(after.reply.LastBal).toEqual({ N: 2n, ProposerId: 1n });
    expect(link.stream!.opened).toBe(1);
    expect(link.stream!.supported).toBe(true);
  });

  it('a stream broken by a restart fails its frames at once and the next batch opens a new one', async () => {
    servers = await serveAcceptors(1, { basePort: 0 });
    const address = servers[0]!.address;
    const link = new AcceptorLink(address, { callTimeoutMs: 20_000 });
    links.push(link);
    const signal = new AbortController().signal;
    await link.request('PREPARE', prepare('r', 0, 1), signal);
    await servers[0]!.close();
    servers = [];
    await expect(link.request('PREPARE', prepare('r', 1, 1), signal)).rejects.toBeDefined();
    const port = Number(address.split(':')[1]);
    servers = await serveAcceptors(1, { basePort: port });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await link.request('PREPARE', prepare('r', 2, 1), signal);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(link.stream!.opened).toBeGreaterThanOrEqual(2);
  });

  it('falls back to unary Batch against an acceptor without BatchStream', async () => {
    let unary = 0;
    bare = await createGrpcServer({
      protoPath: PROTO_PATH,
      service: SERVICE_NAME,
      address: '127.0.0.1:0',
      handlers: {
        Batch: (req: { Ops?: unknown[] }) => {
          unary++;
          return { Replies: (req.Ops ?? []).map(() => ({ LastBal: { N: '4', ProposerId: '4' } })) };
        },
      },
    });
    const link = new AcceptorLink(bare.address, { callTimeoutMs: 20_000 });
    links.push(link);
    const signal = new AbortController().signal;
    const first = await link.request('PREPARE', prepare('f', 0, 1), signal);
    expect(first.reply.LastBal).toEqual({ N: '4', ProposerId: '4' });
    await link.request('PREPARE', prepare('f', 1, 1), signal);
    expect(link.stream!.supported).toBe(false);
    expect(unary).toBe(2);
  });
});

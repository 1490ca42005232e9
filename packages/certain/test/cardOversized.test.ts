// The card server refuses a request whose card would be too large (INVALID_ARGUMENT, nothing
// changes), runs queued requests that only fit apart in smaller batches, and reports
// NOT_SERVING in health once a genuine plog failure has stopped its engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { protoPath as healthProto } from 'grpc-health-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, callUnary } from '@quorumkit/shared-transport';
import { freePorts } from '@quorumkit/test-harness';
import { CardTooLargeError, startCardServer, type RunningCardServer } from '../src/index.js';
import { certainProtoPath } from '../src/server/protoPaths.js';

const running: RunningCardServer[] = [];
const dirs: string[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.allSettled(running.splice(0).map((s) => s.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function server(): Promise<RunningCardServer> {
  const dir = mkdtempSync(join(tmpdir(), 'certain-card-big-'));
  dirs.push(dir);
  const [peer, card] = await freePorts(2);
  const s = await startCardServer(
    {
      serverAddrs: [`127.0.0.1:${peer}`], cardAddrs: [`127.0.0.1:${card}`], acceptorNum: 1, acceptorId: 0, path: dir,
      enablePreAuth: true, localAcceptFirst: false, plogExpireTimeMs: 3_600_000, maxCatchUpNum: 10, maxCommitNum: 100, cmdTimeoutMs: 10_000, enableLearnOnly: false, enableRecoverData: false, enableGetAllForCertain: true, logLevel: 'silent',
    },
    pino({ level: 'silent' }),
    { bootstrap: true },
  );
  running.push(s);
  return s;
}

function rawStatus(client: grpc.Client, method: string, req: unknown): Promise<grpc.StatusObject> {
  return new Promise((resolve) => {
    const call = (client as unknown as Record<string, (r: unknown, cb: (e: unknown) => void) => grpc.ClientUnaryCall>)[method]!.call(client, req, () => undefined);
    call.on('status', resolve);
  });
}

async function healthOf(addr: string): Promise<string> {
  const h = createGrpcClient(healthProto, 'grpc.health.v1.Health', addr);
  clients.push(h as unknown as grpc.Client);
  const rsp = await callUnary<unknown, { status: string | number }>(h, 'Check', { service: '' }, { deadlineMs: 10_000 });
  return String(rsp.status);
}

const name = (n: number, ch = 'a'): Uint8Array => new Uint8Array(Buffer.from(ch.repeat(n)));

describe('card server and oversized input', () => {
  it('refuses an InsertCard above cardValueBytesMax with INVALID_ARGUMENT and changes nothing', async () => {
    const s = await server();
    const raw = createGrpcClient(certainProtoPath('card.proto'), 'example.CardServer', s.cardAddr) as unknown as grpc.Client;
    clients.push(raw);
    const before = s.service.stats.writes;
    const st = await rawStatus(raw, 'InsertCard', { cardId: '3', cardInfo: { userName: Buffer.from(name(500_000)), userId: '1', balance: '1' } });
    expect(st.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(st.details).toMatch(/exceeds cardValueBytesMax 262144/);
    expect(st.metadata.get('x-quorumkit-code')).toEqual(['ECARDTOOLARGE']);
    expect(s.service.stats.writes).toBe(before);
    expect((await rawStatus(raw, 'SelectCard', { cardId: '3' })).code).toBe(grpc.status.NOT_FOUND);
    expect(await s.certain.maxChosen(3n)).toBe(0n);
    await expect(s.service.submit({ op: 'insert', cardId: 3n, card: { userName: name(300_000), userId: 1n, balance: 1n } })).rejects.toBeInstanceOf(CardTooLargeError);
    // a card that fits is stored, and the server still says SERVING
    expect((await rawStatus(raw, 'InsertCard', { cardId: '3', cardInfo: { userName: Buffer.from(name(150_000)), userId: '1', balance: '5' } })).code).toBe(grpc.status.OK);
    expect(await healthOf(s.cardAddr)).toBe('SERVING');
  });

  it('requests that fit alone but not together in one value are all applied', async () => {
    const s = await server();
    // cards 7, 207, 407 share entity 7; each ~250 KB encoded, so no two fit in one 320 KiB value
    const ids = [7n, 207n, 407n];
    const rs = await Promise.all(ids.map((id, i) => s.service.submit({ op: 'insert', cardId: id, card: { userName: name(185_000, 'xyz'[i]), userId: 1n, balance: BigInt(i) } })));
    expect(rs.map((r) => r.ok)).toEqual([true, true, true]);
    for (const [i, id] of ids.entries()) {
      const r = await s.service.submit({ op: 'select', cardId: id });
      expect(r.ok && r.card?.balance).toBe(BigInt(i));
      expect(r.ok && Buffer.from(r.card!.userName).equals(name(185_000, 'xyz'[i]))).toBe(true);
    }
  });

  it('a genuine plog write failure stops the engine and health says NOT_SERVING', async () => {
    const s = await server();
    expect(await healthOf(s.cardAddr)).toBe('SERVING');
    s.certain.plog.write = () => Promise.reject(new Error('disk is gone'));
    const r = await s.service.submit({ op: 'insert', cardId: 11n, card: { userName: name(4), userId: 1n, balance: 1n } }).catch((e: unknown) => e);
    expect(r).toBeInstanceOf(Error);
    expect(s.certain.fatalError).toBeInstanceOf(Error);
    expect(await healthOf(s.cardAddr)).toBe('NOT_SERVING');
  });
});

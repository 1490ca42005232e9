// A one-replica card server in process: the gRPC service (statuses + x-card-code trailer),
// health, and Prometheus metrics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, callUnary } from '@quorumkit/shared-transport';
import { freePorts } from '@quorumkit/test-harness';
import { CardClient, startCardServer, CARD_CODE_TRAILER, type RunningCardServer } from '../src/index.js';
import { certainProtoPath } from '../src/server/protoPaths.js';

let srv: RunningCardServer;
let dir: string;
let metricsPort: number;
let cardAddr: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certain-card-'));
  const [peer, card, metrics] = await freePorts(3);
  metricsPort = metrics!;
  cardAddr = `127.0.0.1:${card}`;
  srv = await startCardServer(
    {
      serverAddrs: [`127.0.0.1:${peer}`], cardAddrs: [cardAddr], acceptorNum: 1, acceptorId: 0, path: dir,
      enablePreAuth: true, localAcceptFirst: false, plogExpireTimeMs: 3_600_000, maxCatchUpNum: 10, maxCommitNum: 100, cmdTimeoutMs: 10_000, enableLearnOnly: false, enableRecoverData: false, enableGetAllForCertain: true, logLevel: 'silent',
    },
    pino({ level: 'silent' }),
    { metricsAddr: `127.0.0.1:${metricsPort}`, bootstrap: true },
  );
});

afterAll(async () => {
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('card server', () => {
  it('business errors are a standard status with the number in x-card-code', async () => {
    const c = new CardClient([cardAddr]);
    const card = { userName: new TextEncoder().encode('rock'), userId: 20170001n, balance: 200n };
    expect((await c.call('InsertCard', { cardId: 12358n, card })).ok).toBe(true);
    const raw = createGrpcClient(certainProtoPath('card.proto'), 'example.CardServer', cardAddr);
    const err = await callUnary(raw, 'InsertCard', { cardId: '12358', cardInfo: { userName: Buffer.from('rock'), userId: '1', balance: '1' } }, { deadlineMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    // the shared client maps statuses to errors; read the raw status and trailer with grpc-js
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = (raw as unknown as { SelectCard: (r: unknown, cb: (e: unknown) => void) => grpc.ClientUnaryCall }).SelectCard({ cardId: '99' }, () => undefined);
      call.on('status', resolve);
    });
    expect(status.code).toBe(grpc.status.NOT_FOUND);
    expect(status.metadata.get(CARD_CODE_TRAILER)).toEqual(['8001']);
    const upd = await c.call('UpdateCard', { cardId: 12358n, delta: -500n });
    expect(upd).toMatchObject({ ok: false, code: 8000, msg: 'card balance not enough', business: true });
    const sel = await c.call('SelectCard', { cardId: 12358n });
    expect(sel.ok && sel.card?.balance).toBe(200n);
    raw.close();
    c.close();
  });

  it('serves Prometheus metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/certain_chosen_entries_total [1-9]/);
    expect(text).toMatch(/card_ops_total [1-9]/);
    expect(text).toContain('certain_plog_fsync_seconds_bucket');
    expect(text).toContain('certain_commit_seconds_count');
  });

  it('RecoverData is refused unless EnableRecoverData is set; GetAllForCertain pages the cards (enabled here)', async () => {
    const raw = createGrpcClient(certainProtoPath('card.proto'), 'example.CardServer', cardAddr);
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = (raw as unknown as { RecoverData: (r: unknown, cb: (e: unknown) => void) => grpc.ClientUnaryCall }).RecoverData({ cardId: '12358' }, () => undefined);
      call.on('status', resolve);
    });
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.metadata.get('x-quorumkit-code')).toEqual(['EDISABLED']);
    expect(status.details).toContain('EnableRecoverData');
    const page = await callUnary<unknown, { cardIds: string[]; done: boolean }>(raw, 'GetAllForCertain', { entityId: String(12358n % 200n), bytesMax: 1 << 20 }, { deadlineMs: 10_000 });
    expect(page.cardIds).toEqual(['12358']);
    expect(page.done).toBe(true);
    raw.close();
  });
});

// The README walkthrough's wipe step (the readme-commands e2e flake): a replica restarted on
// empty stores is recovering (a non-voting learner) until every other replica gave it its
// horizon, which over real gRPC peer links takes as long as the peers' channels need to
// reconnect to it (grpc-js reconnect backoff, ~1 s and more). A client that only knows that
// replica (card-tool -X addr) must wait for it within its deadline instead of failing after
// two quick attempts: a recovering refusal proves the attempt ran nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '@quorumkit/test-harness';
import { CardClient, startCardServer, type RunningCardServer } from '../src/index.js';
import type { CardServerConfig } from '../src/server/config.js';

const live: RunningCardServer[] = [];
const clients: CardClient[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.allSettled(live.splice(0).map((s) => s.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function conf(ports: number[], id: number, path: string): CardServerConfig {
  return {
    serverAddrs: ports.slice(0, 3).map((p) => `127.0.0.1:${p}`), cardAddrs: ports.slice(3, 6).map((p) => `127.0.0.1:${p}`),
    acceptorNum: 3, acceptorId: id, path, enablePreAuth: true, localAcceptFirst: false, plogExpireTimeMs: 3_600_000,
    maxCatchUpNum: 10, maxCommitNum: 100, cmdTimeoutMs: 20_000, enableLearnOnly: false, enableRecoverData: false,
    enableGetAllForCertain: false, logLevel: 'silent',
  };
}

describe('a client of a recovering replica', () => {
  it('waits for the replica to finish recovering (nothing ran) instead of failing after two attempts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'certain-recovering-client-'));
    const ports = await freePorts(6);
    const log = pino({ level: 'silent' });
    const srv: RunningCardServer[] = [];
    for (const i of [0, 1, 2]) srv.push(await startCardServer(conf(ports, i, dir), log, { bootstrap: true }));
    live.push(...srv);
    const only0 = new CardClient([srv[0]!.cardAddr], { deadlineMs: 20_000 });
    clients.push(only0);
    const card = { userName: new TextEncoder().encode('rock'), userId: 20170001n, balance: 200n };
    expect(await only0.call('InsertCard', { cardId: 12358n, card })).toMatchObject({ ok: true });
    // server 0 loses both stores (its identity stays: --bootstrap would be ignored anyway)
    await srv[0]!.stop();
    live.splice(live.indexOf(srv[0]!), 1);
    rmSync(join(dir, 'logdb_0'), { recursive: true, force: true });
    rmSync(join(dir, 'datadb_0'), { recursive: true, force: true });
    const again = await startCardServer(conf(ports, 0, dir), log);
    live.push(again);
    expect(again.certain.recovering).toBe(true);
    const r = await only0.call('SelectCard', { cardId: 12358n });
    expect(r).toMatchObject({ ok: true });
    expect(r.ok && r.card?.balance).toBe(200n);
    expect(again.certain.recovering).toBe(false);
  }, 90_000);
});

// The I/O shell of an acceptor's recovery (issue 17 item 1): page through the state of the
// OTHER acceptors with Dump, fold each instance into ours (core mergeLearned), and once a
// majority of the others handed over everything, promise a floor above every ballot they had
// seen and start voting. Until then the acceptor answers nothing (RECOVERING).
import { type TlsFiles, type TlsReloader, backoffDelayMs, callUnary, createGrpcClient, sleep } from '@quorumkit/shared-transport';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type Ballot, type ClusterView, ZERO_BALLOT, floorAbove, maxBallot, othersNeeded } from '../core/index.js';
import type { AcceptorStore } from '../storage/acceptorStore.js';
import { type WireAcceptor, instanceFromWire, instanceToWire, replyFromWire } from '../wire/codec.js';
import { PROTO_PATH, SERVICE_NAME } from '../wire/protoPath.js';

export const recoveryDefaults = { pageMax: 512, callTimeoutMs: 10_000, backoffMsMax: 2_000 } as const;

export interface RecoveryOptions {
  selfId: number;
  /** every member's address, index = acceptor id (this acceptor's own entry is skipped) */
  peers: () => string[];
  view: ClusterView;
  store: AcceptorStore;
  signal: AbortSignal;
  logger?: Logger;
  pageMax?: number;
  /** TLS for dialling the other acceptors (the acceptor's own certificate: its client certificate under mTLS) */
  tls?: TlsFiles | TlsReloader;
}

interface WireDumpReply {
  Entries?: { Id?: { Key?: string; Ver?: string } | null; State?: WireAcceptor | null }[];
  Done?: boolean;
  Stale?: boolean;
  Known?: string;
}

/** A peer knows this acceptor at an incarnation >= the one it claimed: claim above it. */
class StaleIncarnation extends Error {
  constructor(readonly known: bigint) {
    super(`a peer knows this acceptor at incarnation ${known}`);
  }
}

/**
 * Re-learn everything one other acceptor holds: its instances (folded into ours), then its key
 * promises (their ballots only raise the floor: after recovery the floor is above them, so it
 * promises at least as much in every version). Returns the highest ballot it showed.
 */
async function learnFrom(client: grpc.Client, o: RecoveryOptions): Promise<Ballot> {
  let seen = ZERO_BALLOT;
  for (const keyPromises of [false, true]) {
    let after: { key: string; ver: bigint } | null = null;
    const me = o.store.incarnation;
    for (;;) {
      if (o.signal.aborted) throw new Error('recovery stopped');
      const req = {
        ClusterId: o.view.clusterId, Members: o.view.members, After: after ? instanceToWire(after) : null, Limit: o.pageMax ?? recoveryDefaults.pageMax,
        From: o.selfId, Incarnation: me.incarnation.toString(), Nonce: me.nonce, KeyPromises: keyPromises,
      };
      const res = await callUnary<unknown, WireDumpReply>(client, 'Dump', req, { deadlineMs: recoveryDefaults.callTimeoutMs, signal: o.signal });
      if (res.Stale) throw new StaleIncarnation(BigInt(res.Known ?? '0'));
      for (const e of res.Entries ?? []) {
        const id = instanceFromWire(e.Id);
        const r = replyFromWire(e.State ?? { LastBal: null, Val: null, VBal: null });
        const state = { lastBal: r.lastBal, val: r.val, vBal: r.vBal ?? ZERO_BALLOT, chosen: r.chosen };
        seen = maxBallot(seen, maxBallot(state.lastBal, state.vBal));
        if (!keyPromises) await o.store.merge(id, state);
        after = id;
      }
      if (res.Done || (res.Entries ?? []).length === 0) break;
    }
  }
  return seen;
}

/**
 * Run until a majority of the other acceptors handed over their whole state, then finish the
 * recovery durably. Resolves with the floor; rejects only when `signal` aborts.
 */
export async function recoverFromPeers(o: RecoveryOptions): Promise<Ballot> {
  const need = othersNeeded(o.view.members);
  const done = new Map<number, Ballot>();
  for (let attempt = 0; ; attempt++) {
    let staleAt = -1n;
    const peers = o.peers();
    const others = peers.map((a, i) => ({ a, i })).filter((p) => p.i !== o.selfId && !done.has(p.i));
    if (peers.length - 1 < need) {
      o.logger?.error({ members: o.view.members, peers: peers.length }, 'RECOVERING: not enough peer addresses to re-learn from (give --peers with every member)');
    }
    await Promise.all(
      others.map(async ({ a, i }) => {
        const client = createGrpcClient(PROTO_PATH, SERVICE_NAME, a, o.tls ? { tls: o.tls } : {});
        try {
          done.set(i, await learnFrom(client, o));
          o.logger?.info({ from: a, learned: done.size, need }, 'recovery: re-learned the state of an acceptor');
        } catch (e) {
          if (e instanceof StaleIncarnation) {
            if (e.known > staleAt) staleAt = e.known;
            return;
          }
          if (!o.signal.aborted) o.logger?.warn({ from: a, err: (e as Error).message }, 'recovery: could not re-learn from this acceptor yet');
        } finally {
          client.close();
        }
      }),
    );
    if (staleAt >= 0n) {
      // every acceptor counted must have recorded the incarnation we vote as: start over above it
      const inc = { incarnation: staleAt + 1n, nonce: o.store.incarnation.nonce };
      await o.store.setIncarnation(inc);
      o.logger?.info({ incarnation: inc.incarnation.toString() }, 'recovery: a peer knew an incarnation this high; re-learning as the next one');
      done.clear();
      continue;
    }
    if (done.size >= need) {
      const seen = [...done.values()].reduce(maxBallot, ZERO_BALLOT);
      const floor = floorAbove(seen);
      await o.store.finishRecovery(floor);
      return floor;
    }
    if (o.signal.aborted) throw new Error('recovery stopped');
    await sleep(backoffDelayMs(attempt, { baseMs: 100, maxMs: recoveryDefaults.backoffMsMax }), o.signal).catch(() => undefined);
    if (o.signal.aborted) throw new Error('recovery stopped');
  }
}

// Where a peer's message goes: through the incarnation fence first, then to recovery
// (horizon requests and answers), anti-entropy (chosen summaries), catch-up serving, or the
// entity's worker (loaded first when it is not in memory).
import type { Logger } from 'pino';
import { isEntityMsg, type EntityCore, type Effects, type PeerMsg } from '../core/index.js';
import type { RecoveryMode } from './recoveryMode.js';

export interface InboundHost {
  recovery: RecoveryMode;
  log: Logger;
  /** Messages dropped by the fence. */
  fenced(): void;
  loaded(entityId: bigint): EntityCore | undefined;
  entity(entityId: bigint): Promise<EntityCore>;
  handle(e: Effects): void;
  serveCatchUp(to: number, entityId: bigint, fromEntry: bigint, maxNum: number): Promise<void>;
}

export function routePeerMessage(h: InboundHost, from: number, msg: PeerMsg): void {
  if (!h.recovery.admit(from, msg)) {
    h.fenced();
    if (msg.kind === 'horizonReq') h.log.warn({ from }, 'horizon request from an earlier incarnation of this replica dropped (was its clock set back?)');
    return;
  }
  if (msg.kind === 'horizonReq') {
    h.recovery.onHorizonReq(from, msg, Date.now(), Math.random).catch((err: unknown) => h.log.error({ err, from }, 'horizon answer failed'));
    return;
  }
  if (msg.kind === 'horizonRsp') {
    h.recovery.onHorizonRsp(msg, Date.now()).catch((err: unknown) => h.log.error({ err, from }, 'horizon handling failed'));
    return;
  }
  if (msg.kind === 'chosenSummary') {
    onChosenSummary(h, from, msg.chosen);
    return;
  }
  if (!isEntityMsg(msg)) return;
  const entityId = msg.kind === 'paxos' ? msg.cmd.header.entityId : msg.entityId;
  if (msg.kind === 'catchUpReq') {
    h.serveCatchUp(from, msg.entityId, msg.fromEntry, msg.maxNum).catch((err: unknown) => h.log.warn({ err, from }, 'catch-up request not served'));
    return;
  }
  const core = h.loaded(entityId);
  if (core) h.handle(core.onMessage(msg, Date.now(), Math.random()));
  else {
    h.entity(entityId).then(
      (c) => h.handle(c.onMessage(msg, Date.now(), Math.random())),
      (err: unknown) => h.log.warn({ err, from, entityId: String(entityId) }, 'peer message dropped: entity did not load'),
    );
  }
}

/** A peer's chosen summary: catch up on every entity it has further chosen than we know. */
function onChosenSummary(h: InboundHost, from: number, chosen: { entityId: bigint; maxChosen: bigint }[]): void {
  const now = Date.now();
  for (const { entityId, maxChosen } of chosen) {
    const core = h.loaded(entityId);
    if (core) {
      if (maxChosen > core.maxChosen) h.handle(core.peerChosen(from, maxChosen, now));
      continue;
    }
    h.entity(entityId).then(
      (c) => h.handle(c.peerChosen(from, maxChosen, Date.now())),
      (err: unknown) => h.log.warn({ err, from, entityId: String(entityId) }, 'chosen summary entry dropped: entity did not load'),
    );
  }
}

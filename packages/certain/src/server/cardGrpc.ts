// The example.CardServer gRPC service. Business errors become a standard status with the
// number in the `x-card-code` trailer (grpc-js sees it; so does every other language).
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { loadPackageDefinition, lookupService, serverCredentials, toBigInt, uint64ToWire, type TlsFiles, type TlsReloader } from '@quorumkit/shared-transport';
import { QuorumkitError, decodeBigintKey } from '@quorumkit/shared-storage';
import type { Logger } from 'pino';
import { CardCode, cardCodeMessage, cardEntity, UINT64_MAX, type Card, type CardOp, type CardResult } from '../core/card.js';
import type { CardService } from './cardService.js';
import { decodeCard, CardTooLargeError } from './cardService.js';
import { certainProtoPath } from './protoPaths.js';
import { InflightGate, InflightLimitError, type InflightGateOptions } from './inflightGate.js';
import { PendingError, StoppedError, CmdTimeoutError, DupUuidError, ValueTooLargeError, DisabledError, OverloadedError } from '../errors.js';

export const CARD_CODE_TRAILER = 'x-card-code';
export const CARD_SERVICE = 'example.CardServer';
/** Trailer of a RESOURCE_EXHAUSTED refusal: how long the server suggests to wait, ms. */
export const RETRY_AFTER_TRAILER = 'x-retry-after-ms';

interface WireCardInfo { userName: Uint8Array; userId: string; lastModifiedTime: number; balance: string }
interface WireCardRequest { cardId: string; cardInfo: WireCardInfo | null; delta: string; uuid: string; entityId: string }

class BadRequestError extends QuorumkitError {
  constructor(msg: string) {
    super('EBADREQ', msg);
  }
}

const statusOfCode: Record<CardCode, grpc.status> = {
  8000: grpc.status.FAILED_PRECONDITION,
  8001: grpc.status.NOT_FOUND,
  8002: grpc.status.ALREADY_EXISTS,
};

function toWire(c: Card): WireCardInfo {
  return { userName: Buffer.from(c.userName), userId: uint64ToWire(c.userId), lastModifiedTime: c.lastModifiedTime, balance: uint64ToWire(c.balance) };
}

function businessError(code: CardCode): grpc.ServiceError {
  const md = new grpc.Metadata();
  md.set(CARD_CODE_TRAILER, String(code));
  return Object.assign(new Error(cardCodeMessage[code]), { code: statusOfCode[code], details: cardCodeMessage[code], metadata: md });
}

function internalError(err: unknown): grpc.ServiceError {
  const md = new grpc.Metadata();
  const code = err instanceof PendingError || err instanceof StoppedError ? grpc.status.UNAVAILABLE
    : err instanceof CmdTimeoutError ? grpc.status.DEADLINE_EXCEEDED
    : err instanceof BadRequestError || err instanceof CardTooLargeError || err instanceof ValueTooLargeError ? grpc.status.INVALID_ARGUMENT
    : err instanceof DupUuidError ? grpc.status.ALREADY_EXISTS
    : err instanceof DisabledError ? grpc.status.PERMISSION_DENIED
    : err instanceof OverloadedError || err instanceof InflightLimitError ? grpc.status.RESOURCE_EXHAUSTED
    : grpc.status.UNAVAILABLE;
  if (err instanceof QuorumkitError) md.set('x-quorumkit-code', err.code);
  if (err instanceof InflightLimitError) md.set(RETRY_AFTER_TRAILER, String(err.retryAfterMs));
  const details = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(details), { code, details, metadata: md });
}

function parseId(v: string, what: string): bigint {
  const n = toBigInt(v);
  if (n < 0n || n > UINT64_MAX) throw new BadRequestError(`${what} out of range`);
  return n;
}

export interface CardGrpcServer {
  port: number;
  /** The handler-entry load shedder of the card requests (its counters feed the metrics). */
  gate: InflightGate;
  /** Health of the card service ('' and example.CardServer): NOT_SERVING once the engine is gone. */
  setServing(serving: boolean): void;
  close(): Promise<void>;
}

export async function startCardGrpc(
  address: string, svc: CardService, log: Logger,
  enable: { recoverData?: boolean; getAllForCertain?: boolean; inflight?: Partial<InflightGateOptions>; tls?: TlsFiles | TlsReloader } = {},
): Promise<CardGrpcServer> {
  const proto = certainProtoPath('card.proto');
  const def = lookupService(proto, CARD_SERVICE).service;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  const certain = svc.certain;
  const gate = new InflightGate(enable.inflight);

  const cardOp = (kind: CardOp['op']) => (call: grpc.ServerUnaryCall<WireCardRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
    // Shed first, before parsing or queueing anything: a refusal costs next to nothing.
    let release: (nowMs: number) => void;
    try {
      release = gate.enter(call.getPeer(), Date.now());
    } catch (err) {
      cb(internalError(err));
      return;
    }
    const done: grpc.sendUnaryData<unknown> = (err, value) => {
      release(Date.now());
      cb(err, value);
    };
    void (async () => {
      try {
        const req = call.request;
        const cardId = parseId(req.cardId, 'card_id');
        let op: CardOp;
        if (kind === 'insert') {
          const ci = req.cardInfo;
          if (!ci) throw new BadRequestError('InsertCard needs card_info');
          op = { op: 'insert', cardId, card: { userName: new Uint8Array(ci.userName), userId: parseId(ci.userId, 'user_id'), balance: parseId(ci.balance, 'balance') } };
        } else if (kind === 'update') op = { op: 'update', cardId, delta: toBigInt(req.delta) };
        else op = { op: kind, cardId };
        const uuid = parseId(req.uuid || '0', 'uuid');
        const r: CardResult = await svc.submit(op, uuid);
        if (!r.ok) return done(businessError(r.code));
        done(null, { cardInfo: r.card ? toWire(r.card) : null });
      } catch (err) {
        log.debug({ err }, 'card op failed');
        done(internalError(err));
      }
    })();
  };

  const impl: grpc.UntypedServiceImplementation = {
    InsertCard: cardOp('insert'),
    UpdateCard: cardOp('update'),
    DeleteCard: cardOp('delete'),
    SelectCard: cardOp('select'),
    GetDBEntityMeta: (call: grpc.ServerUnaryCall<{ entityId: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      void (async () => {
        try {
          const e = parseId(call.request.entityId, 'entity_id');
          const pending = (await certain.db.pendingGetAll()).includes(e);
          cb(null, { maxCommittedEntry: uint64ToWire(await certain.db.maxCommitted(e)), getallPending: pending });
        } catch (err) {
          cb(internalError(err));
        }
      })();
    },
    GetAllForCertain: (call: grpc.ServerUnaryCall<{ entityId: string; session: string; cursor: Uint8Array; bytesMax: number }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      void (async () => {
        try {
          if (!enable.getAllForCertain) throw new DisabledError('GetAllForCertain', 'EnableGetAllForCertain');
          const r = call.request;
          const page = await certain.getAllPage({
            entityId: parseId(r.entityId, 'entity_id'),
            session: r.session || undefined,
            cursor: r.cursor && r.cursor.length > 0 ? new Uint8Array(r.cursor) : undefined,
            bytesMax: r.bytesMax || certain.tuning.getAllPageBytes,
          });
          // data rows only (phase byte 0); the uuid index rows are for replicas
          const cards = page.rows.filter(([k]) => k[0] === 0).map(([k, v]) => [k.subarray(1), v] as const);
          cb(null, {
            maxCommittedEntry: uint64ToWire(page.maxCommitted),
            cardIds: cards.map(([k]) => uint64ToWire(decodeBigintKey(k))),
            cardInfos: cards.map(([, v]) => toWire(decodeCard(v))),
            session: page.session,
            nextCursor: page.nextCursor ? Buffer.from(page.nextCursor) : Buffer.alloc(0),
            done: page.nextCursor === undefined,
          });
        } catch (err) {
          cb(internalError(err));
        }
      })();
    },
    RecoverData: (call: grpc.ServerUnaryCall<WireCardRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      void (async () => {
        try {
          if (!enable.recoverData) throw new DisabledError('RecoverData', 'EnableRecoverData');
          const cardId = parseId(call.request.cardId, 'card_id');
          await certain.recover(cardEntity(cardId));
          cb(null, { cardInfo: null });
        } catch (err) {
          cb(internalError(err));
        }
      })();
    },
  };
  server.addService(def, impl);
  const health = new HealthImplementation({ '': 'SERVING', [CARD_SERVICE]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(loadPackageDefinition(proto) as never, { services: [CARD_SERVICE] }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, serverCredentials(enable.tls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const setServing = (serving: boolean): void => {
    const st = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', st);
    health.setStatus(CARD_SERVICE, st);
  };
  return {
    port,
    gate,
    setServing,
    close: () =>
      new Promise<void>((resolve) => {
        setServing(false);
        const t = setTimeout(() => { server.forceShutdown(); resolve(); }, 2000);
        server.tryShutdown(() => { clearTimeout(t); resolve(); });
      }),
  };
}

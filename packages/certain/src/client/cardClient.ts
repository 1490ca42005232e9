// A CardServer client with routing and fail-over: try the server the card routes to, then
// the next ones. Business errors (8000/8001/8002) come back as results, not exceptions.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { backoffDelayMs, createGrpcClient, sleep, toBigInt, uint64ToWire, int64ToWire, type TlsFiles, type TlsReloader } from '@quorumkit/shared-transport';
import { QuorumkitError } from '@quorumkit/shared-storage';
import { cardCodeMessage, cardEntity, type Card, type CardCode } from '../core/card.js';
import { certainProtoPath } from '../server/protoPaths.js';
import { CARD_CODE_TRAILER, CARD_SERVICE, RETRY_AFTER_TRAILER } from '../server/cardGrpc.js';

export type CardMethod = 'InsertCard' | 'UpdateCard' | 'DeleteCard' | 'SelectCard' | 'RecoverData';

export type CardReply =
  | { ok: true; card?: Card }
  | { ok: false; code: number; msg: string; business: boolean };

function randomUuid(): bigint {
  const b = randomBytes(8);
  return b.readBigUInt64BE(0) >> 1n || 1n;
}

export class CardUnavailableError extends QuorumkitError {
  constructor(msg: string) {
    super('EUNAVAILABLE', msg);
  }
}

export interface CardRequestInput {
  cardId: bigint;
  card?: { userName: Uint8Array; userId: bigint; balance: bigint };
  delta?: bigint;
  uuid?: bigint;
}

/** The server refused because it is recovering (RecoveringError, ERECOVERING): nothing ran. */
function isRecoveringRefusal(err: unknown): boolean {
  const e = err as grpc.ServiceError;
  return e.code === grpc.status.UNAVAILABLE && e.metadata?.get('x-quorumkit-code')[0] === 'ERECOVERING';
}

export class CardClient {
  private readonly clients: (grpc.Client | undefined)[];

  /** `addrs[i]` is server i's card address (undefined: not known to this client). */
  constructor(
    private readonly addrs: (string | undefined)[],
    private readonly opts: {
      deadlineMs?: number;
      /**
       * Attempts per call (default two rounds over the servers). Safe because every attempt
       * carries the request's one uuid: the servers answer a retry of a chosen request with
       * its original reply and never apply it twice.
       */
      attemptsMax?: number;
      /**
       * How long to keep retrying a server that sheds load (RESOURCE_EXHAUSTED: nothing was
       * run) before giving up; these refusals do not count against attemptsMax. Default 10 s.
       */
      overloadRetryMsMax?: number;
      /**
       * How long to keep retrying while the servers tried answer that they are recovering
       * (ERECOVERING: a replica restarted on lost state, not voting until it re-learnt; the
       * attempt ran nothing) before giving up; these refusals do not count against
       * attemptsMax either. Default: the call deadline (deadlineMs).
       */
      recoveringRetryMsMax?: number;
      /** Backoff after an overloaded server (RESOURCE_EXHAUSTED) or a failed round. */
      backoffBaseMs?: number;
      backoffMaxMs?: number;
      /** TLS to the card servers (a CA; a client certificate when they require one) */
      tls?: TlsFiles | TlsReloader;
    } = {},
  ) {
    const proto = certainProtoPath('card.proto');
    const tls = opts.tls;
    this.clients = addrs.map((a) => (a ? createGrpcClient(proto, CARD_SERVICE, a, tls ? { tls } : {}) : undefined));
  }

  /** Servers to try for a card: the routed one first, then the rest in order. */
  order(cardId: bigint): number[] {
    const n = this.addrs.length;
    const first = Number(cardEntity(cardId) % BigInt(n));
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = (first + k) % n;
      if (this.clients[i]) out.push(i);
    }
    return out;
  }

  async call(method: CardMethod, input: CardRequestInput): Promise<CardReply> {
    const req = {
      cardId: uint64ToWire(input.cardId),
      cardInfo: input.card ? { userName: Buffer.from(input.card.userName), userId: uint64ToWire(input.card.userId), lastModifiedTime: 0, balance: uint64ToWire(input.card.balance) } : null,
      delta: int64ToWire(input.delta ?? 0n),
      // one uuid for every attempt: a retry on another server cannot apply the op twice
      uuid: uint64ToWire(input.uuid ?? (method === 'SelectCard' || method === 'RecoverData' ? 0n : randomUuid())),
      entityId: uint64ToWire(cardEntity(input.cardId)),
    };
    const order = this.order(input.cardId);
    if (order.length === 0) throw new CardUnavailableError('no server to try');
    const attemptsMax = Math.max(1, this.opts.attemptsMax ?? 2 * order.length);
    let last: unknown;
    // Whether some attempt may have run (a deadline, a dropped connection): then a final
    // refusal does not prove the request changed nothing.
    let unknownOutcome = false;
    // An overloaded server is retried after a backoff (moving its load to a replica the card
    // does not route to would only add contention on the entity); an unreachable one is not.
    let k = 0;
    const overloadUntil = Date.now() + (this.opts.overloadRetryMsMax ?? 10_000);
    const recoveringUntil = Date.now() + (this.opts.recoveringRetryMsMax ?? this.opts.deadlineMs ?? 10_000);
    for (let a = 0, tries = 0; a < attemptsMax; tries++) {
      try {
        return await this.callOne(this.clients[order[k % order.length]!]!, method, req);
      } catch (err) {
        last = err;
        if (isRecoveringRefusal(err) && Date.now() < recoveringUntil) {
          // Another replica may serve the card now; with every one tried (or only one known,
          // as card-tool -X addr) wait: recovery ends once the peers answered its horizon.
          k++;
          if (k % order.length === 0) {
            const wait = backoffDelayMs(Math.min(tries, 16), { baseMs: this.opts.backoffBaseMs ?? 20, maxMs: Math.min(this.opts.backoffMaxMs ?? 1000, 250) });
            await sleep(Math.max(0, Math.min(wait, recoveringUntil - Date.now())));
          }
          continue;
        }
        const overloaded = (err as grpc.ServiceError).code === grpc.status.RESOURCE_EXHAUSTED;
        if (overloaded && Date.now() < overloadUntil) {
          // The server's hint (its backlog at its completion rate), jittered up to twice so
          // refused clients spread over the backlog; our own backoff when it sent none.
          const hint = Number((err as grpc.ServiceError).metadata?.get(RETRY_AFTER_TRAILER)[0]);
          const wait = Number.isFinite(hint) && hint > 0
            ? hint * (1 + Math.random())
            : backoffDelayMs(Math.min(tries, 16), { baseMs: this.opts.backoffBaseMs ?? 20, maxMs: this.opts.backoffMaxMs ?? 1000 });
          await sleep(Math.max(0, Math.min(wait, overloadUntil - Date.now())));
          continue;
        }
        a++;
        if (!overloaded) {
          // a recovering refusal (its wait over) ran nothing either
          if (!isRecoveringRefusal(err)) unknownOutcome = true;
          k++;
        }
        if (a < attemptsMax && k % order.length === 0) {
          await sleep(backoffDelayMs(a, { baseMs: this.opts.backoffBaseMs ?? 20, maxMs: this.opts.backoffMaxMs ?? 1000 }));
        }
      }
    }
    const msg = last instanceof Error ? last.message : String(last);
    if (!unknownOutcome) return { ok: false, code: (last as grpc.ServiceError).code ?? grpc.status.RESOURCE_EXHAUSTED, msg, business: false };
    throw new CardUnavailableError(msg);
  }

  private async callOne(c: grpc.Client, method: CardMethod, req: unknown): Promise<CardReply> {
    const md = { trailer: undefined as string | undefined };
    try {
      const rsp = await new Promise<{ cardInfo: { userName: Uint8Array; userId: string; lastModifiedTime: number; balance: string } | null }>((resolve, reject) => {
        const call = (c as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: unknown) => void) => grpc.ClientUnaryCall>)[method]!.call(
          c, req, new grpc.Metadata(), { deadline: Date.now() + (this.opts.deadlineMs ?? 10_000) },
          (err, r) => (err ? reject(err) : resolve(r as never)),
        );
        call.on('status', (s: grpc.StatusObject) => {
          const v = s.metadata.get(CARD_CODE_TRAILER)[0];
          if (v !== undefined) md.trailer = String(v);
        });
      });
      const ci = rsp.cardInfo;
      return ci
        ? { ok: true, card: { userName: new Uint8Array(ci.userName), userId: toBigInt(ci.userId), lastModifiedTime: ci.lastModifiedTime, balance: toBigInt(ci.balance) } }
        : { ok: true };
    } catch (err) {
      const e = err as grpc.ServiceError;
      const trailer = e.metadata?.get(CARD_CODE_TRAILER)[0] ?? md.trailer;
      if (trailer !== undefined) {
        const code = Number(trailer) as CardCode;
        return { ok: false, code, msg: cardCodeMessage[code] ?? e.details, business: true };
      }
      if (e.code === grpc.status.INVALID_ARGUMENT || e.code === grpc.status.ALREADY_EXISTS) {
        // bad request, or a duplicate uuid: an earlier attempt of this very request was applied
        return { ok: false, code: e.code, msg: e.details, business: false };
      }
      throw err; // unavailable, deadline, pending: try the next server
    }
  }

  close(): void {
    for (const c of this.clients) c?.close();
  }
}

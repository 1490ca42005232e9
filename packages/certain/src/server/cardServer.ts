// Wiring of one card server: the Certain engine (peers on ServerAddrs[id], data under
// path/logdb_<id> and path/datadb_<id>) plus the example.CardServer service.
import type { Logger } from 'pino';
import { Certain } from '../engine/certain.js';
import { grpcTransportWith } from './transport.js';
import { serveMetrics, type MetricsServer, type TlsFiles, type TlsReloader } from '@quorumkit/shared-transport';
import { CardService, applyCardValue } from './cardService.js';
import { startCardGrpc, type CardGrpcServer } from './cardGrpc.js';
import { cardAddress, type CardServerConfig } from './config.js';
import { cardMetrics } from './metrics.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createIdentity, readIdentity } from '@quorumkit/shared-storage';

export interface RunningCardServer {
  certain: Certain;
  service: CardService;
  grpc: CardGrpcServer;
  cardAddr: string;
  stop(): Promise<void>;
}

export async function startCardServer(c: CardServerConfig, log: Logger, opts: { metricsAddr?: string; bootstrap?: boolean; tls?: TlsFiles | TlsReloader } = {}): Promise<RunningCardServer> {
  const id = c.acceptorId!;
  // The identity record lives beside logdb_N/datadb_N (DIR/identity_N), so deleting those
  // stores does not delete it: a --bootstrap given again (the same command line pasted twice,
  // a restart script) then cannot make a replica that lost its disk vote at once.
  const identityDir = join(c.path!, `identity_${id}`);
  let bootstrap = opts.bootstrap === true;
  if (bootstrap && (await readIdentity(identityDir).catch(() => 'damaged'))) {
    log.warn({ identityDir }, '--bootstrap ignored: this replica was bootstrapped before (if its state is gone it recovers)');
    bootstrap = false;
  }
  const certain = new Certain({
    acceptorId: id,
    acceptorNum: c.acceptorNum,
    peers: c.serverAddrs,
    transport: grpcTransportWith(opts.tls, { peerStream: c.peerStream ?? true }),
    path: c.path!,
    apply: applyCardValue,
    logger: log,
    bootstrap,
    options: {
      learnOnly: c.enableLearnOnly,
      dataStoreSync: c.dataStoreSync ?? false,
      ...(c.chosenMarkDeferMs === undefined ? {} : { chosenMarkDeferMs: c.chosenMarkDeferMs }),
      ...(c.uuidWindowEntriesMax === undefined ? {} : { uuidWindowEntriesMax: c.uuidWindowEntriesMax }),
      ...(c.hotRowsBytesMax === undefined ? {} : { hotRowsBytesMax: c.hotRowsBytesMax }),
      enablePreAuth: c.enablePreAuth,
      localAcceptFirst: c.localAcceptFirst,
      plogExpireTimeMs: c.plogExpireTimeMs,
      expireCheckMs: Math.max(200, Math.min(10_000, Math.floor(c.plogExpireTimeMs / 2))),
      maxCatchUpNum: c.maxCatchUpNum,
      maxCommitNum: c.maxCommitNum,
      cmdTimeoutMs: c.cmdTimeoutMs,
    },
  });
  await certain.start();
  if (bootstrap) {
    await mkdir(identityDir, { recursive: true });
    await createIdentity(identityDir, { clusterId: 'certain', replicaId: String(id), reason: 'bootstrap' });
  }
  const service = new CardService(certain, log, {
    ...(c.cardValueBytesMax === undefined ? {} : { cardValueBytesMax: c.cardValueBytesMax }),
    ...(c.admitOpsMax === undefined ? {} : { admitOpsMax: c.admitOpsMax }),
  });
  const cardAddr = cardAddress(c, id);
  let grpc: CardGrpcServer;
  try {
    grpc = await startCardGrpc(cardAddr, service, log, {
      recoverData: c.enableRecoverData,
      getAllForCertain: c.enableGetAllForCertain,
      ...(opts.tls ? { tls: opts.tls } : {}),
      inflight: {
        ...(c.inflightMax === undefined ? {} : { inflightMax: c.inflightMax }),
        ...(c.peerInflightMax === undefined ? {} : { peerInflightMax: c.peerInflightMax }),
      },
    });
  } catch (err) {
    await certain.stop();
    throw err;
  }
  // A genuine plog failure stops the engine: say so in health instead of serving as a zombie.
  certain.hooks.onFatal = (err) => {
    log.error({ err }, 'certain stopped itself; card service health is NOT_SERVING');
    grpc.setServing(false);
  };
  if (certain.fatalError !== undefined) grpc.setServing(false);
  // A recovering or learn-only replica serves no card command: health says so.
  if (certain.recovering || certain.learnOnly) grpc.setServing(false);
  certain.recovery.onRecovered = () => {
    if (certain.fatalError === undefined && !certain.learnOnly) grpc.setServing(true);
  };
  let metrics: MetricsServer | undefined;
  if (opts.metricsAddr) {
    try {
      metrics = await serveMetrics(opts.metricsAddr, cardMetrics(certain, service, grpc.gate));
    } catch (err) {
      await grpc.close();
      await certain.stop();
      throw err;
    }
  }
  return {
    certain, service, grpc, cardAddr,
    async stop() {
      await metrics?.close();
      await grpc.close();
      await certain.stop();
    },
  };
}

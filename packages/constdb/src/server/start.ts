// Process wiring: logger, load, listen, snapshot on SIGTERM/SIGINT.
import type { ConstdbConfig } from './config.js';
import type { TlsReloader } from '@quorumkit/shared-transport';
import { ConstdbNode } from './node.js';
import { createLogger } from './logger.js';
import { tlsFromConfig } from './tlsConfig.js';

export interface StartOptions {
  pretty?: boolean;
  /** a TlsReloader made from the config's tls_* keys (see tlsFromConfig); made here when absent */
  tls?: TlsReloader;
}

export async function startNode(cfg: ConstdbConfig, opts: StartOptions = {}): Promise<ConstdbNode> {
  const log = createLogger({ level: cfg.logLevel, log: cfg.log, pretty: opts.pretty, name: `constdb-${cfg.nodeId}` });
  const tls = opts.tls ?? tlsFromConfig(cfg, log);
  // without a handler SIGHUP would end the process; with TLS it re-reads the certificates
  tls?.reloadOnSignal('SIGHUP');
  const node = new ConstdbNode(cfg, log, tls ? { tls } : {});
  await node.load();
  const port = await node.listen();
  log.info({ nodeId: cfg.nodeId, ip: cfg.ip, port, workDir: cfg.workDir }, `constdb ready on ${cfg.ip}:${port}`);
  // a line on stdout for scripts and the test harness
  process.stdout.write(`constdb node ${cfg.nodeId} ready on ${cfg.ip}:${port}\n`);
  let stopping = false;
  const stop = (sig: string, save = true) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, save ? 'shutting down: writing snapshot' : 'shutting down without a snapshot');
    node.close({ snapshot: save }).then(
      () => {
        log.flush?.();
        process.exit(0);
      },
      (e: Error) => {
        log.error({ err: e.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  node.hooks.shutdown = (save) => setImmediate(() => stop('SHUTDOWN', save));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return node;
}

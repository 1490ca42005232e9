// Prometheus metrics of one acceptor (issue 17 item 9), served on --metrics-addr. Each acceptor
// has its own registry (several acceptors may share a process in `paxoskv cluster` and tests).
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AcceptorStore } from '../storage/acceptorStore.js';

export class AcceptorMetrics {
  readonly registry = new Registry();
  readonly ops: Counter<'kind'>;
  readonly refused: Counter<'method' | 'code'>;
  readonly batchOps: Histogram;

  constructor(id: number, store: () => AcceptorStore) {
    this.registry.setDefaultLabels({ acceptor: String(id) });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.ops = new Counter({ name: 'paxoskv_ops_total', help: 'Operations served, by kind (PREPARE/ACCEPT/COMMIT/LEARN/LATEST)', labelNames: ['kind'], registers });
    this.refused = new Counter({ name: 'paxoskv_refused_total', help: 'Requests refused, by method and error code', labelNames: ['method', 'code'], registers });
    this.batchOps = new Histogram({ name: 'paxoskv_batch_ops', help: 'Ops per Batch call', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096], registers });
    new Gauge({ name: 'paxoskv_fsyncs', help: 'Synced storage batches since start', registers, collect() { this.set(store().syncCount); } });
    new Gauge({ name: 'paxoskv_recovering', help: '1 while the acceptor re-learns its state and does not vote', registers, collect() { this.set(store().recovering ? 1 : 0); } });
    new Gauge({ name: 'paxoskv_incarnation', help: 'This acceptor incarnation (0: never recovered)', registers, collect() { this.set(Number(store().incarnation.incarnation)); } });
  }
}

/** Serve `GET /metrics` on host:port (port 0: any). Resolves with the bound address. */
export async function serveMetrics(address: string, registry: Registry): Promise<{ address: string; close(): Promise<void> }> {
  const at = address.lastIndexOf(':');
  const host = at > 0 ? address.slice(0, at) : '127.0.0.1';
  const port = Number(address.slice(at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad metrics address ${address}`);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  const bound = typeof a === 'object' && a ? `${host}:${a.port}` : address;
  return { address: bound, close: () => new Promise<void>((r) => server.close(() => r())) };
}

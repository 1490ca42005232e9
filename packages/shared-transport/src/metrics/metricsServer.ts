// Prometheus /metrics for every quorumkit server: one HTTP endpoint shape (GET /metrics only,
// 127.0.0.1 unless an address says otherwise) and one set of process metrics, so the five
// systems' scrapes look alike and pass `promtool check metrics`.
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { QuorumkitError } from '../errors.js';

/** A metrics address that cannot be served: malformed, or the port is taken. */
export class MetricsAddressError extends QuorumkitError {
  constructor(message: string) {
    super('EMETRICSADDR', message);
  }
}

export interface MetricsServer {
  /** host:port actually bound (port 0 resolved) */
  readonly address: string;
  close(): Promise<void>;
}

/** Parses "host:port", ":port" (127.0.0.1) or "port"; throws MetricsAddressError. */
export function parseMetricsAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = at > 0 ? address.slice(0, at).replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
  const portText = at >= 0 ? address.slice(at + 1) : address;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MetricsAddressError(`bad metrics address "${address}": want host:port`);
  return { host, port };
}

/** Serves `GET /metrics` from `registry` at `address`; resolves once listening. */
export async function serveMetrics(address: string, registry: Registry): Promise<MetricsServer> {
  const { host, port } = parseMetricsAddress(address);
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
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new MetricsAddressError(e.code === 'EADDRINUSE' ? `metrics address ${host}:${port} is in use` : `cannot serve metrics on ${host}:${port}: ${e.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  const bound = typeof a === 'object' && a ? `${host}:${a.port}` : `${host}:${port}`;
  return { address: bound, close: () => new Promise<void>((r) => server.close(() => r())) };
}

// prom-client's defaults include three gauges named *_total (active handles, requests,
// resources); promtool rejects a non-counter with that suffix, and the same numbers are there
// per type as nodejs_active_handles{type=...} etc.
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** The Node.js process metrics (CPU, memory, event loop lag, GC, handles) on `registry`. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
}

/** Buckets for latencies measured in seconds, 100 µs to 10 s (fsyncs, commits, round trips). */
export const SECONDS_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

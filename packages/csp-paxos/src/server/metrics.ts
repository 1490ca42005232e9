// Prometheus /metrics of one node (issue 23): opt-in (`metricsAddr`, 127.0.0.1 unless the
// address names another host), through shared-transport's one endpoint shape. Gauges are read
// at scrape time from the node's status and the processors' cores (read-only peeks, like the
// status request); the fsync histogram is fed by the acceptor log's every write + fdatasync.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type MetricsServer, SECONDS_BUCKETS, collectProcessMetrics, serveMetrics } from '@quorumkit/shared-transport';
import type { AcceptorLog } from '../storage/acceptorLog.js';

/** What the metrics read from a node (CspPaxosNode implements it). */
export interface MetricsSource {
  readonly id: number;
  statusSnapshot(): { round: number; leader: number; leading: boolean; voting: boolean; commitIndex: number; logBase: number; overflow: { net: number; local: number } };
  linkStates(): Array<{ peer: number; up: boolean; queued: number; bufferedBytes: number; dropped: number; lastHeardMs: number | undefined }>;
  /** The leader core's view: next slot to propose (0 when not streaming), per-node acked slot. */
  leaderView(): { proposedUpTo: number; ackedUpTo: readonly number[] } | undefined;
  readonly proposalsReceived: number;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** host:port the endpoint is bound to. */
  readonly address: string;
  close(): Promise<void>;
}

const P = 'csp_paxos_';

/** Registers every csp-paxos metric of `node` (and the process metrics) on a new registry. */
export function nodeRegistry(node: MetricsSource, acceptorLog: AcceptorLog): Registry {
  const registry = new Registry();
  collectProcessMetrics(registry);
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({ name: P + name, help, registers: [registry], collect() { this.set(read()); } });
  };
  gauge('round', 'Round this node is in (its estimate of the current round)', () => node.statusSnapshot().round);
  gauge('leader', 'Rank of the leader of the current round (round % n)', () => node.statusSnapshot().leader);
  gauge('leading', '1 while this node leads its round', () => (node.statusSnapshot().leading ? 1 : 0));
  gauge('voting', '1 while this node votes (0 while it re-learns a lost acceptor state)', () => (node.statusSnapshot().voting ? 1 : 0));
  gauge('committed_slots', 'Commit index: every slot below it is committed here, in order', () => node.statusSnapshot().commitIndex);
  gauge('log_base_slot', 'First slot still held (the logs were truncated below it)', () => node.statusSnapshot().logBase);

  const peerGauge = (name: string, help: string, read: (l: ReturnType<MetricsSource['linkStates']>[number], now: number) => number): void => {
    new Gauge({
      name: P + name, help, labelNames: ['peer'], registers: [registry],
      collect() {
        const now = Date.now();
        for (const l of node.linkStates()) this.set({ peer: String(l.peer) }, read(l, now));
      },
    });
  };
  peerGauge('peer_link_up', '1 while the outbound link to the peer is connected and authenticated', (l) => (l.up ? 1 : 0));
  peerGauge('peer_queued_messages', 'Messages waiting to be sent to the peer (link lag)', (l) => l.queued);
  peerGauge('peer_buffered_bytes', 'Bytes written to the peer socket and not yet sent (link lag)', (l) => l.bufferedBytes);
  peerGauge('peer_last_heard_seconds', 'Seconds since a frame of the peer arrived (-1: never)', (l, now) => (l.lastHeardMs === undefined ? -1 : (now - l.lastHeardMs) / 1000));
  new Gauge({
    name: `${P}peer_lag_slots`, help: 'While leading: slots proposed but not yet acknowledged by the peer (0 when not leading)', labelNames: ['peer'], registers: [registry],
    collect() {
      const v = node.leaderView();
      for (const l of node.linkStates()) this.set({ peer: String(l.peer) }, v && v.proposedUpTo > 0 ? Math.max(0, v.proposedUpTo - (v.ackedUpTo[l.peer] ?? 0)) : 0);
    },
  });

  // Counters from monotonic sources: each scrape adds what happened since the last one.
  const counter = (name: string, help: string, read: () => number, labelNames: string[] = []): void => {
    let last = read();
    new Counter({
      name: P + name, help, labelNames, registers: [registry],
      collect() {
        const now = read();
        if (now > last) this.inc(now - last);
        last = Math.max(last, now);
      },
    });
  };
  counter('proposals_total', 'Client proposals this node accepted to forward to the leader', () => node.proposalsReceived);
  counter('commits_total', 'Slots committed by this node since it started', () => node.statusSnapshot().commitIndex);
  counter('peer_messages_dropped_total', 'Messages to peers dropped (queue or socket buffer full; the protocol retries)', () => node.linkStates().reduce((a, l) => a + l.dropped, 0));
  counter('overflow_refused_total', 'Inputs refused for a full processor channel (peers retry)', () => node.statusSnapshot().overflow.net + node.statusSnapshot().overflow.local);

  const fsync = new Histogram({ name: `${P}acceptor_fsync_seconds`, help: 'Acceptor log write + fdatasync latency (every GATHER / ACK waits for one)', buckets: [...SECONDS_BUCKETS], registers: [registry] });
  acceptorLog.onFlush = (ms) => fsync.observe(ms / 1000);
  return registry;
}

/** Serves the node's metrics at `address` (host:port; port 0 picks one). */
export async function startNodeMetrics(node: MetricsSource, acceptorLog: AcceptorLog, address: string): Promise<NodeMetrics> {
  const registry = nodeRegistry(node, acceptorLog);
  let server: MetricsServer;
  try {
    server = await serveMetrics(address, registry);
  } catch (e) {
    acceptorLog.onFlush = undefined;
    throw e;
  }
  return { registry, address: server.address, close: () => server.close() };
}

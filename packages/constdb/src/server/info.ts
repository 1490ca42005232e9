// INFO and CONFIG GET: real figures from the running node.
import { globMatch } from '../core/glob.js';
import { VERSION } from '../core/cmdAdmin.js';
import type { ConstdbNode } from './node.js';
import { infoRows } from './replInfo.js';
import { redisLogLevel } from './adminHooks.js';

function section(title: string, rows: Array<[string, string | number | bigint]>): string {
  return `# ${title}\r\n` + rows.map(([k, v]) => `${k}:${v}\r\n`).join('');
}

export function renderInfo(node: ConstdbNode, which: string | undefined, now: number): string {
  const all = which === undefined || which === 'all' || which === 'everything' || which === 'default';
  const want = (s: string) => all || which === s;
  const parts: string[] = [];
  const mem = process.memoryUsage();
  if (want('server')) {
    parts.push(section('Server', [
      ['redis_version', VERSION],
      ['redis_mode', 'standalone'],
      ['constdb_node_id', node.cfg.nodeId],
      ['constdb_node_alias', node.cfg.nodeAlias],
      ['os', `${process.platform} ${process.arch}`],
      ['process_id', process.pid],
      ['tcp_port', node.port],
      ['uptime_in_seconds', Math.floor((now - node.startedMs) / 1000)],
      ['hz', node.cfg.hz],
      ['executable', process.argv[1] ?? ''],
    ]));
  }
  if (want('clients')) {
    let maxInput = 0;
    let blocked = 0;
    for (const c of node.conns) {
      maxInput = Math.max(maxInput, c.maxInputBytes, c.inputBytes);
      if (c.isBlocked) blocked++;
    }
    parts.push(section('Clients', [
      ['connected_clients', node.conns.size], ['maxclients', node.cfg.maxclients], ['blocked_clients', blocked],
      ['client_recent_max_input_buffer', maxInput], ['client_query_buffer_limit', node.cfg.clientQueryBufferLimitBytes],
      ['client_output_buffer_limit', node.cfg.clientOutputBufferLimitBytes],
    ]));
  }
  if (want('memory')) {
    parts.push(section('Memory', [
      ['used_memory', mem.heapUsed],
      ['used_memory_rss', mem.rss],
      ['used_memory_peak', mem.heapTotal],
    ]));
  }
  if (want('persistence')) {
    parts.push(section('Persistence', [
      ['loading', 0],
      ['rdb_changes_since_last_save', node.stats.changesSinceSnapshot],
      ['rdb_last_save_time', Math.floor(node.stats.lastSnapshotMs / 1000)],
      ['rdb_saves', node.stats.snapshots],
      ['rdb_last_snapshot_bytes', node.stats.lastSnapshotBytes],
      ['aof_enabled', node.aof ? 1 : 0],
      ['aof_current_size', node.aof?.bytes ?? 0],
      ['appendfsync', node.cfg.appendfsync],
    ]));
  }
  if (want('stats')) {
    parts.push(section('Stats', [
      ['total_connections_received', node.stats.connectionsReceived],
      ['total_commands_processed', node.stats.commandsProcessed],
      ['rejected_connections', node.stats.rejectedConnections],
      ['protocol_errors', node.stats.protocolErrors],
      ['tls_handshakes_refused', node.tlsRefused],
      ['expired_keys', node.db.stats.expiredKeys],
      ['tombstones_pending', node.db.tombstones()],
      ['tombstones_collected', node.db.stats.tombstonesCollected],
    ]));
  }
  if (want('replication')) parts.push(section('Replication', infoRows(node.repl, now)));
  if (want('keyspace')) {
    const keys = node.db.size(now);
    const expires = node.db.expiresCount(now);
    parts.push(section('Keyspace', keys ? [['db0', `keys=${keys},expires=${expires},avg_ttl=0`]] : []));
  }
  return parts.join('\r\n');
}

export function configGet(node: ConstdbNode, pattern: string): Array<[string, string]> {
  const c = node.cfg;
  const all: Array<[string, string]> = [
    ['save', c.snapshotIntervalSec > 0 ? `${c.snapshotIntervalSec} 1` : ''],
    ['appendonly', c.appendonly ? 'yes' : 'no'],
    ['appendfsync', c.appendfsync],
    ['port', String(node.port)],
    ['bind', c.ip],
    ['dir', c.workDir],
    ['requirepass', c.requirepass ?? ''],
    ['proto-max-bulk-len', String(c.protoMaxBulkLen)],
    ['maxclients', String(c.maxclients)],
    ['databases', '1'],
    ['hz', String(c.hz)],
    ['tcp-backlog', String(c.tcpBacklog)],
    ['repl-backlog-size', String(c.replBacklogLimitBytes)],
    ['node-id', String(c.nodeId)],
    ['node-alias', c.nodeAlias],
    ['loglevel', redisLogLevel(c.logLevel)],
    ['repl-timeout', String(c.replTimeoutSec)],
    ['client-query-buffer-limit', String(c.clientQueryBufferLimitBytes)],
  ];
  return all.filter(([k]) => globMatch(pattern, k, true));
}

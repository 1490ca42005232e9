// Client API: propose a value to the cluster (any node forwards it to the current leader)
// and get back the slot it was committed in; ask a node for its status; control a node.
import type { Socket } from 'node:net';
import { QuorumkitError } from '@quorumkit/shared-storage';
import { type TlsFiles, TlsReloader, connectSocket } from '@quorumkit/shared-transport';
import { FrameDecoder, encodeFrame } from '../server/framing.js';
import type { NodeStatus } from '../server/node.js';

export class ProposeError extends QuorumkitError {
  constructor(message: string) {
    super('EPROPOSE', message);
  }
}

export class RequestTimeoutError extends QuorumkitError {
  constructor(what: string, ms: number) {
    super('ETIMEOUT', `${what} got no answer in ${ms} ms`);
  }
}

/** One committed slot as `read` returns it (data only for client values). */
export interface CommittedEntry {
  slot: number;
  key: string;
  data?: string;
}

export const CLIENT_DEFAULTS = { timeoutMs: 10_000, connectTimeoutMs: 2_000, host: '127.0.0.1' };

/**
 * TLS for a client (docs/tls.md): the files (read once here; a bad file throws ETLSFILE) or a
 * reloader shared with the rest of the process. The server's certificate is checked against
 * the CA and the dialled host; the certificate and key are presented to mTLS servers.
 */
export type ClientTls = TlsFiles | TlsReloader;

function toReloader(tls: ClientTls | undefined): TlsReloader | undefined {
  if (tls === undefined || tls instanceof TlsReloader) return tls;
  return new TlsReloader(tls);
}

/** One connection to one node; requests are pipelined and matched by id. */
export class NodeConnection {
  private readonly socket: Socket;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: Record<string, unknown>): void; reject(e: unknown): void; timer: NodeJS.Timeout }>();

  private constructor(socket: Socket) {
    this.socket = socket;
    const dec = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: unknown[] = [];
      try {
        frames = dec.push(chunk);
      } catch (e) {
        socket.destroy(e as Error);
        return;
      }
      for (const f of frames) {
        const o = f as Record<string, unknown>;
        const w = this.waiting.get(o.id as number);
        if (!w) continue;
        this.waiting.delete(o.id as number);
        clearTimeout(w.timer);
        w.resolve(o);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const w of this.waiting.values()) {
        clearTimeout(w.timer);
        w.reject(new ProposeError('connection closed'));
      }
      this.waiting.clear();
    });
  }

  /** Connects to a node's client port; with `tls`, over TLS (resolves after the handshake). */
  static open(port: number, host = CLIENT_DEFAULTS.host, timeoutMs = CLIENT_DEFAULTS.connectTimeoutMs, tls?: ClientTls): Promise<NodeConnection> {
    const reloader = toReloader(tls);
    return new Promise((resolve, reject) => {
      const dial: { socket?: Socket } = {};
      const timer = setTimeout(() => {
        dial.socket?.destroy();
        reject(new RequestTimeoutError(`connect to ${host}:${port}`, timeoutMs));
      }, timeoutMs);
      // ready after TCP connect, or after the TLS handshake checked the node's certificate
      const s = connectSocket({ host, port, ...(reloader ? { tls: reloader } : {}) }, () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(new NodeConnection(s));
      });
      dial.socket = s;
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new ProposeError(`cannot connect to ${host}:${port}: ${e.message}`));
      });
      // A TLS server that refuses this client may just close the connection.
      s.once('close', () => {
        clearTimeout(timer);
        reject(new ProposeError(`cannot connect to ${host}:${port}: connection closed`));
      });
    });
  }

  request(body: Record<string, unknown>, timeoutMs = CLIENT_DEFAULTS.timeoutMs): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new RequestTimeoutError(`request ${String(body.c)}`, timeoutMs));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.socket.write(encodeFrame({ ...body, id }));
    });
  }

  /**
   * Commits `data` through the cluster; resolves with its slot. With `idem` (a client id and a
   * sequence number unique per value) a retry of the same value answers the slot it was
   * committed at instead of committing it again.
   */
  async propose(data: string, timeoutMs = CLIENT_DEFAULTS.timeoutMs, idem?: { client: string; seq: number }): Promise<number> {
    const r = await this.request(idem ? { c: 'propose', data, client: idem.client, seq: idem.seq } : { c: 'propose', data }, timeoutMs);
    if (r.ok !== true || typeof r.slot !== 'number') throw new ProposeError(String(r.error ?? 'propose failed'));
    return r.slot;
  }

  /** Committed entries from slot `from` (at most `max`, and at most what the node committed). */
  async read(from: number, max = 1000, timeoutMs = CLIENT_DEFAULTS.timeoutMs): Promise<{ entries: CommittedEntry[]; commitIndex: number }> {
    const r = await this.request({ c: 'read', from, max }, timeoutMs);
    if (r.ok !== true || !Array.isArray(r.entries)) throw new ProposeError(String(r.error ?? 'read failed'));
    return { entries: r.entries as CommittedEntry[], commitIndex: Number(r.commitIndex) };
  }

  /**
   * Follows the committed log from `from`: yields every entry in slot order as it commits,
   * polling every `pollMs` while nothing new is there, until `signal` aborts.
   */
  async *tail(from: number, opts: { pollMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<CommittedEntry> {
    let next = from;
    while (!opts.signal?.aborted) {
      const { entries } = await this.read(next);
      for (const e of entries) {
        yield e;
        next = e.slot + 1;
      }
      if (entries.length === 0) await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
    }
  }

  async status(timeoutMs = CLIENT_DEFAULTS.connectTimeoutMs): Promise<NodeStatus> {
    const r = await this.request({ c: 'status' }, timeoutMs);
    return r as unknown as NodeStatus;
  }

  /** Makes the node drop all traffic to and from `peers` (an empty list heals). */
  async block(peers: number[], timeoutMs = CLIENT_DEFAULTS.connectTimeoutMs): Promise<void> {
    await this.request({ c: 'block', peers }, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Proposes `data` through the first node that answers (it forwards to the leader), trying the
 * next node on failure until the deadline. Give `client` and `seq` (unique per value) and a
 * retry after a timeout cannot commit the value twice; without them it may.
 */
export async function propose(data: string, opts: { ports: number[]; host?: string; timeoutMs?: number; attemptMs?: number; client?: string; seq?: number; tls?: ClientTls }): Promise<number> {
  const tls = toReloader(opts.tls);
  const deadline = Date.now() + (opts.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs);
  let lastErr: unknown = new ProposeError('no node to ask');
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const port = opts.ports[attempt % opts.ports.length]!;
    let conn: NodeConnection | undefined;
    try {
      conn = await NodeConnection.open(port, opts.host, CLIENT_DEFAULTS.connectTimeoutMs, tls);
      const idem = opts.client !== undefined ? { client: opts.client, seq: opts.seq ?? 0 } : undefined;
      return await conn.propose(data, Math.max(1, Math.min(opts.attemptMs ?? 3_000, deadline - Date.now())), idem);
    } catch (e) {
      lastErr = e;
    } finally {
      conn?.close();
    }
  }
  throw lastErr;
}

export async function nodeStatus(port: number, host?: string, tls?: ClientTls): Promise<NodeStatus> {
  const c = await NodeConnection.open(port, host, CLIENT_DEFAULTS.connectTimeoutMs, tls);
  try {
    return await c.status();
  } finally {
    c.close();
  }
}

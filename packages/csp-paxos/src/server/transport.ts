// TCP between nodes: one outbound connection per peer carries everything queued for it in one
// frame per event-loop turn (batching). Two listeners: the peer port takes only authenticated
// peer connections (challenge + HMAC handshake, peerAuth.ts); the client port takes only
// client requests (answered on the same socket) and run-time controls. A peer frame on the
// client port, or on a peer connection that did not pass the handshake, is refused.
// With `tls` (docs/tls.md) both listeners are TLS servers and every peer link dials over TLS
// with the node's own certificate (its client certificate under mTLS); the HMAC handshake
// runs inside the TLS connection, after its handshake.
import type { Server, Socket } from 'node:net';
import { type TlsReloader, connectSocket, createSocketServer } from '@quorumkit/shared-transport';
import { MSG_TYPES, type Msg } from '../core/types.js';
import { FrameDecoder, FrameError, encodeFrame, encodePeerFrame } from './framing.js';
import { handshakeMac, newChallenge, verifyMac } from './peerAuth.js';

export const TRANSPORT_DEFAULTS = {
  host: '127.0.0.1',
  reconnectMs: 100,
  /** Messages queued for an unreachable peer before the oldest are dropped (retries recover). */
  peerQueueMsgsMax: 200_000,
  /** Socket bytes buffered for a slow peer before new frames are dropped. */
  socketBufferBytesMax: 64 * 1024 * 1024,
};

export interface Request {
  id: number;
  c: string;
  [k: string]: unknown;
}

export interface TransportHandlers {
  onMessages(from: number, msgs: Msg[]): void;
  onRequest(req: Request, reply: (body: Record<string, unknown>) => void): void;
  /** An established connection to this peer closed. */
  onPeerDown?(peer: number): void;
}

class PeerLink {
  private socket: Socket | undefined;
  private connected = false;
  private queue: Msg[] = [];
  private scheduled = false;
  private closed = false;
  dropped = 0;
  sent = 0;
  dials = 0;

  /** The link's state for metrics: up (handshake done), messages queued, socket bytes unsent. */
  state(): { up: boolean; queued: number; bufferedBytes: number } {
    return { up: this.connected, queued: this.queue.length, bufferedBytes: this.socket?.writableLength ?? 0 };
  }

  constructor(
    private readonly self: number,
    private readonly peer: number,
    private readonly host: string,
    private readonly port: number,
    private readonly secret: Buffer | undefined,
    private readonly tls: TlsReloader | undefined,
    private readonly onDown: () => void,
  ) {
    this.dial();
  }

  private dial(): void {
    if (this.closed) return;
    this.dials++;
    // Frames flow only after the peer's challenge, which a TLS server sends after its handshake.
    const s = connectSocket({ host: this.host, port: this.port, ...(this.tls ? { tls: this.tls } : {}) });
    s.setNoDelay(true);
    this.socket = s;
    const dec = new FrameDecoder();
    // Nothing is sent before the peer's challenge is answered.
    s.on('data', (chunk: Buffer) => {
      if (this.connected) return;
      let frames: unknown[];
      try {
        frames = dec.push(chunk);
      } catch (_e) {
        s.destroy();
        return;
      }
      const f = frames[0] as Record<string, unknown> | undefined;
      if (!f) return;
      if (typeof f.challenge !== 'string') {
        s.destroy();
        return;
      }
      const hello: Record<string, unknown> = { hello: this.self };
      if (this.secret) hello.mac = handshakeMac(this.secret, f.challenge, this.self, this.peer);
      s.write(encodeFrame(hello));
      this.connected = true;
      this.schedule();
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (this.connected && !this.closed) this.onDown();
      this.connected = false;
      this.socket = undefined;
      if (!this.closed) setTimeout(() => this.dial(), TRANSPORT_DEFAULTS.reconnectMs);
    });
  }

  send(m: Msg): void {
    this.queue.push(m);
    if (this.queue.length > TRANSPORT_DEFAULTS.peerQueueMsgsMax) {
      const cut = this.queue.length - TRANSPORT_DEFAULTS.peerQueueMsgsMax;
      this.queue.splice(0, cut);
      this.dropped += cut;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || !this.connected) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const s = this.socket;
    if (!s || !this.connected || this.queue.length === 0) return;
    const msgs = this.queue;
    this.queue = [];
    if (s.writableLength > TRANSPORT_DEFAULTS.socketBufferBytesMax) {
      this.dropped += msgs.length;
      return;
    }
    this.sent += msgs.length;
    const raw = msgs as unknown as Array<Record<string, unknown>>;
    try {
      s.write(encodePeerFrame(this.self, raw));
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      // Too big for one frame: send one message per frame and drop any single message that is
      // still too big (the protocol retries or moves the round on; the node never crashes).
      for (const m of raw) {
        try {
          s.write(encodePeerFrame(this.self, [m]));
        } catch (e2) {
          if (!(e2 instanceof FrameError)) throw e2;
          this.dropped++;
        }
      }
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}

export interface TransportOptions {
  self: number;
  host: string;
  /** Client and control requests. */
  port: number;
  /** Peer connections only. */
  peerPort: number;
  /** Where to dial each peer (its peer port, or a proxy in front of it). */
  peers: Map<number, { host: string; port: number }>;
  /** Committee size (ranks 0..n-1). */
  n: number;
  /** Shared cluster secret: when set, a peer must prove it in the handshake. */
  secret?: Buffer;
  /** TLS on both listeners and on every peer link (the node's certificate is its client certificate). */
  tls?: TlsReloader;
  handlers: TransportHandlers;
}

async function listenOn(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

export class Transport {
  private readonly server: Server;
  private readonly peerServer: Server;
  private readonly links = new Map<number, PeerLink>();
  private readonly sockets = new Set<Socket>();
  private readonly refusedSockets = new WeakSet<Socket>();
  /** Peers we pretend cannot be reached (run's --partition). */
  blocked = new Set<number>();
  /**
   * `refused`: handshakes that failed and peer frames on the client port or before a handshake;
   * `tlsRefused`: TLS handshakes refused (plaintext, no certificate, another CA's certificate).
   */
  readonly stats = { framesIn: 0, msgsIn: 0, badFrames: 0, refused: 0, tlsRefused: 0 };
  private readonly n: number;

  private constructor(
    server: Server,
    peerServer: Server,
    private readonly self: number,
    private readonly secret: Buffer | undefined,
    private readonly handlers: TransportHandlers,
    n: number,
  ) {
    this.server = server;
    this.peerServer = peerServer;
    this.n = n;
  }

  static async listen(opts: TransportOptions): Promise<Transport> {
    // Sockets reach the accept functions only once ready for data (after the TLS handshake).
    const holder: { t?: Transport } = {};
    const onTlsError = (): void => {
      if (holder.t) holder.t.stats.tlsRefused++;
    };
    const server = createSocketServer(opts.tls, (s) => {
      if (holder.t) holder.t.acceptClient(s);
      else s.destroy();
    }, { onTlsError });
    const peerServer = createSocketServer(opts.tls, (s) => {
      if (holder.t) holder.t.acceptPeer(s);
      else s.destroy();
    }, { onTlsError });
    const t = new Transport(server, peerServer, opts.self, opts.secret, opts.handlers, opts.n);
    holder.t = t;
    await listenOn(server, opts.port, opts.host);
    try {
      await listenOn(peerServer, opts.peerPort, opts.host);
    } catch (e) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw e;
    }
    for (const [id, addr] of opts.peers) if (id !== opts.self) t.links.set(id, new PeerLink(opts.self, id, addr.host, addr.port, opts.secret, opts.tls, () => opts.handlers.onPeerDown?.(id)));
    return t;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  get peerPort(): number {
    const a = this.peerServer.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  send(m: Msg): void {
    if (this.blocked.has(m.to)) return;
    this.links.get(m.to)?.send(m);
  }

  private track(s: Socket, onFrame: (f: Record<string, unknown>) => void): void {
    s.setNoDelay(true);
    this.sockets.add(s);
    const dec = new FrameDecoder();
    s.on('data', (chunk: Buffer) => {
      if (this.refusedSockets.has(s)) return;
      let frames: unknown[];
      try {
        frames = dec.push(chunk);
      } catch (_e) {
        this.stats.badFrames++;
        s.destroy();
        return;
      }
      this.stats.framesIn += frames.length;
      for (const f of frames) {
        if (s.destroyed || this.refusedSockets.has(s)) return;
        if (typeof f === 'object' && f !== null) onFrame(f as Record<string, unknown>);
      }
    });
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
  }

  private refuse(s: Socket): void {
    this.stats.refused++;
    // Nothing more from it is read; end() (not destroy) so what was already written, such as
    // the challenge still buffered in a TLS socket, reaches the other side before the close.
    this.refusedSockets.add(s);
    s.end();
    s.setTimeout(REFUSED_CLOSE_MS, () => s.destroy());
  }

  /** Client port: requests only; anything that looks like a peer frame is refused. */
  private acceptClient(s: Socket): void {
    this.track(s, (o) => {
      if (typeof o.c === 'string' && typeof o.id === 'number') {
        const id = o.id;
        this.handlers.onRequest(o as Request, (body) => {
          if (!s.destroyed) s.write(encodeFrame({ ...body, id }));
        });
        return;
      }
      this.refuse(s);
    });
  }

  /** Peer port: a challenge, the peer's answer, then that peer's message frames only. */
  private acceptPeer(s: Socket): void {
    const challenge = newChallenge();
    let peer: number | undefined;
    s.write(encodeFrame({ challenge }));
    this.track(s, (o) => {
      if (peer === undefined) {
        const hello = o.hello;
        const valid = typeof hello === 'number' && Number.isSafeInteger(hello) && hello >= 0 && hello < this.n && hello !== this.self;
        if (!valid || (this.secret && !verifyMac(this.secret, challenge, hello, this.self, o.mac))) {
          this.refuse(s);
          return;
        }
        peer = hello;
        return;
      }
      if (o.p !== peer || !Array.isArray(o.m)) {
        this.refuse(s);
        return;
      }
      if (this.blocked.has(peer)) return;
      this.lastHeardMs.set(peer, Date.now());
      const from = peer;
      const msgs = (o.m as unknown[]).filter(isMsg).filter((m) => m.from === from && m.to === this.self);
      this.stats.msgsIn += msgs.length;
      if (msgs.length > 0) this.handlers.onMessages(from, msgs);
    });
  }

  /** When a frame of each peer last arrived (ms since the epoch). */
  private readonly lastHeardMs = new Map<number, number>();

  /** Per peer: the outbound link's state and when the peer was last heard from. */
  linkStates(): Array<{ peer: number; up: boolean; queued: number; bufferedBytes: number; dropped: number; lastHeardMs: number | undefined }> {
    return [...this.links].map(([peer, l]) => ({ peer, ...l.state(), dropped: l.dropped, lastHeardMs: this.lastHeardMs.get(peer) }));
  }

  linkStats(): Record<number, { sent: number; dropped: number; dials: number }> {
    return Object.fromEntries([...this.links].map(([id, l]) => [id, { sent: l.sent, dropped: l.dropped, dials: l.dials }]));
  }

  async close(): Promise<void> {
    for (const l of this.links.values()) l.close();
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.server, this.peerServer].map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  }
}

/** A refused connection that does not close its side is destroyed after this long. */
const REFUSED_CLOSE_MS = 1_000;

const TYPES = new Set<string>(MSG_TYPES);
const INCS_MAX = 1024;

function isMsg(v: unknown): v is Msg {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.type === 'string' &&
    TYPES.has(m.type) &&
    Number.isSafeInteger(m.from) &&
    Number.isSafeInteger(m.to) &&
    Number.isSafeInteger(m.round) &&
    Number.isSafeInteger(m.seq) &&
    (m.upTo === undefined || Number.isSafeInteger(m.upTo)) &&
    (m.total === undefined || Number.isSafeInteger(m.total)) &&
    (m.inc === undefined || Number.isSafeInteger(m.inc)) &&
    (m.incs === undefined || (Array.isArray(m.incs) && m.incs.length <= INCS_MAX && m.incs.every((x) => Number.isSafeInteger(x)))) &&
    (m.entries === undefined || (Array.isArray(m.entries) && m.entries.every(isEntry)))
  );
}

function isEntry(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return Number.isSafeInteger(e.slot) && Number.isSafeInteger(e.round) && typeof e.key === 'string' && (e.data === undefined || typeof e.data === 'string');
}

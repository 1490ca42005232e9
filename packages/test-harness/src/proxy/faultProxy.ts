import net from 'node:net';

export type BlockDirection = 'both' | 'up' | 'down';

interface Conn {
  client: net.Socket;
  server: net.Socket;
  /** Bytes were thrown away on this connection: its stream is broken for good. */
  tainted: boolean;
  release: { up: number; down: number };
}

/**
 * TCP proxy in front of one target port that can cut, delay and reset traffic, no root needed.
 * 'up' is client -> server, 'down' is server -> client. While a direction is blocked its
 * bytes are discarded (the link carries nothing); a connection that lost bytes cannot be
 * resumed without corrupting its framing, so unblock() resets it and clients reconnect,
 * as they would after a real partition outlived their TCP timeouts.
 */
export class FaultProxy {
  readonly port: number;
  readonly targetPort: number;
  private readonly server: net.Server;
  private readonly conns = new Set<Conn>();
  private up = false;
  private down = false;
  private delayMs = 0;
  private closed = false;
  /** Bytes forwarded / discarded per direction (for tests and reports). */
  readonly bytes = { up: 0, down: 0, droppedUp: 0, droppedDown: 0 };

  private constructor(server: net.Server, port: number, targetPort: number) {
    this.server = server;
    this.port = port;
    this.targetPort = targetPort;
  }

  static async start(opts: { targetPort: number; listenPort?: number; host?: string; targetHost?: string }): Promise<FaultProxy> {
    const host = opts.host ?? '127.0.0.1';
    const targetHost = opts.targetHost ?? '127.0.0.1';
    // Half-open sockets so a FIN in one direction is passed on without cutting the other.
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.listenPort ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as net.AddressInfo;
    const proxy = new FaultProxy(server, addr.port, opts.targetPort);
    server.on('connection', (client) => proxy.accept(client, targetHost));
    return proxy;
  }

  get blocked(): { up: boolean; down: boolean } {
    return { up: this.up, down: this.down };
  }

  get connections(): number {
    return this.conns.size;
  }

  /** Cut the link; directions accumulate until unblock(). */
  block(dir: BlockDirection = 'both'): void {
    if (dir === 'both' || dir === 'up') this.up = true;
    if (dir === 'both' || dir === 'down') this.down = true;
  }

  unblock(): void {
    this.up = false;
    this.down = false;
    for (const c of [...this.conns]) if (c.tainted) this.destroy(c);
  }

  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Reset every current connection (both sides see the socket close). */
  dropConnections(): void {
    for (const c of [...this.conns]) this.destroy(c);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, targetHost: string): void {
    if (this.closed) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const server = net.connect({ port: this.targetPort, host: targetHost, allowHalfOpen: true });
    server.setNoDelay(true);
    const c: Conn = { client, server, tainted: false, release: { up: 0, down: 0 } };
    this.conns.add(c);
    client.on('data', (chunk: Buffer) => this.forward(c, 'up', chunk));
    server.on('data', (chunk: Buffer) => this.forward(c, 'down', chunk));
    client.on('end', () => this.forward(c, 'up', null));
    server.on('end', () => this.forward(c, 'down', null));
    // An error resets both sides; a clean close of one side waits for the other, so chunks
    // and the FIN still queued behind a delay get delivered.
    const reset = () => this.destroy(c);
    client.on('error', reset);
    server.on('error', reset);
    const closed = (hadError: boolean) => {
      if (hadError || (client.destroyed && server.destroyed)) this.destroy(c);
    };
    client.on('close', closed);
    server.on('close', closed);
  }

  /** chunk = null passes on an end-of-stream (FIN), in order behind delayed chunks. */
  private forward(c: Conn, dir: 'up' | 'down', chunk: Buffer | null): void {
    if (dir === 'up' ? this.up : this.down) {
      if (chunk === null) return; // the FIN is lost with the rest; the reset on unblock ends it
      c.tainted = true;
      if (dir === 'up') this.bytes.droppedUp += chunk.length;
      else this.bytes.droppedDown += chunk.length;
      return;
    }
    const to = dir === 'up' ? c.server : c.client;
    const send = () => {
      // The link may have been cut while the chunk was delayed.
      if ((dir === 'up' ? this.up : this.down) || !this.conns.has(c)) {
        c.tainted = true;
        return;
      }
      if (chunk === null) {
        to.end();
        return;
      }
      this.bytes[dir] += chunk.length;
      to.write(chunk);
    };
    if (this.delayMs === 0 && c.release[dir] <= Date.now()) {
      send();
      return;
    }
    // Keep order: a chunk never leaves before the one in front of it.
    const at = Math.max(Date.now() + this.delayMs, c.release[dir]);
    c.release[dir] = at;
    setTimeout(send, at - Date.now());
  }

  private destroy(c: Conn): void {
    if (!this.conns.delete(c)) return;
    c.client.destroy();
    c.server.destroy();
  }
}

// A hand-made peer for replication tests: a listener that answers the probe handshake a
// node sends to verify a replica that announced itself (and closes every connection), plus
// the dialling side's handshake, retried while the node is still verifying us.
import { createServer, connect, type Server, type Socket } from 'node:net';

export function resp(args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
}

export interface FakePeer { port: number; probes: number; close(): Promise<void> }

/** Listens on 127.0.0.1 (port 0) and answers as node `id`. */
export async function fakePeerListener(id: number): Promise<FakePeer> {
  const socks = new Set<Socket>();
  const fp: FakePeer = { port: 0, probes: 0, close: async () => undefined };
  const server: Server = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!/constdb\.sync/i.test(buf) || !buf.endsWith('\r\n')) return;
      if (buf.includes('probe')) fp.probes++;
      s.end(`+SYNC ${id} 0 - peer${id}\r\n`);
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const addr = server.address();
  fp.port = typeof addr === 'object' && addr ? addr.port : 0;
  fp.close = () =>
    new Promise<void>((res) => {
      for (const s of socks) s.destroy();
      server.close(() => res());
    });
  return fp;
}

/** Sends a CONSTDB.SYNC handshake on a new socket; resolves with the socket and the reply line. */
export async function handshakeOnce(port: number, args: string[], timeoutMs = 10_000): Promise<{ sock: Socket; line: string; rest: Buffer }> {
  const sock = connect({ host: '127.0.0.1', port });
  sock.on('error', () => {});
  await new Promise<void>((res, rej) => {
    sock.once('connect', () => res());
    sock.once('error', rej);
  });
  return new Promise((res, rej) => {
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => rej(new Error('no handshake reply')), timeoutMs);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      clearTimeout(t);
      sock.removeListener('data', onData);
      res({ sock, line: buf.toString('latin1', 0, i), rest: buf.subarray(i + 2) });
    };
    sock.on('data', onData);
    sock.write(resp(['CONSTDB.SYNC', ...args]));
  });
}

/** Handshakes until the node accepts (it answers -PENDING until it has verified us). */
export async function handshakeAccepted(port: number, args: string[], timeoutMs = 15_000): Promise<{ sock: Socket; line: string; rest: Buffer }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await handshakeOnce(port, args);
    if (h.line.startsWith('+SYNC')) return h;
    h.sock.destroy();
    if (!h.line.startsWith('-PENDING') || Date.now() > deadline) throw new Error(`handshake refused: ${h.line}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, freePorts, waitFor } from '../src/index.js';

/** A target server that records what each connection sent and can push bytes to it. */
async function startTarget() {
  const received: string[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    const idx = sockets.push(s) - 1;
    received[idx] = '';
    s.on('data', (d) => (received[idx] += d.toString()));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    sockets,
    push: (text: string) => sockets.at(-1)!.write(text),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function connect(port: number) {
  const s = net.connect(port, '127.0.0.1');
  let got = '';
  let closed = false;
  s.on('data', (d) => (got += d.toString()));
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  await new Promise<void>((r, j) => {
    s.once('connect', () => r());
    s.once('error', j);
  });
  return { s, got: () => got, closed: () => closed };
}

const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FaultProxy (real sockets)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup() {
    const target = await startTarget();
    const proxy = await FaultProxy.start({ targetPort: target.port });
    cleanup.push(() => target.close(), () => proxy.close());
    return { target, proxy };
  }

  it('forwards both ways', async () => {
    const { target, proxy } = await setup();
    const c = await connect(proxy.port);
    cleanup.push(() => void c.s.destroy());
    c.s.write('ping');
    await waitFor(() => target.received[0] === 'ping', { timeoutMs: 10_000, what: 'ping upstream' });
    target.push('pong');
    await waitFor(() => c.got() === 'pong', { timeoutMs: 10_000, what: 'pong downstream' });
    expect(proxy.bytes).toMatchObject({ up: 4, down: 4 });
  });

  it("a link cut 'up' carries no client->server bytes, still carries server->client, and heals", async () => {
    const { target, proxy } = await setup();
    const c = await connect(proxy.port);
    cleanup.push(() => void c.s.destroy());
    c.s.write('a');
    await waitFor(() => target.received[0] === 'a', { timeoutMs: 10_000, what: 'first byte' });
    proxy.block('up');
    c.s.write('lost');
    target.push('down-ok');
    await waitFor(() => c.got() === 'down-ok', { timeoutMs: 10_000, what: 'down direction' });
    await quiet(300);
    expect(target.received[0]).toBe('a');
    expect(proxy.bytes.droppedUp).toBe(4);
    proxy.unblock();
    // The connection lost bytes, so it is reset; a new one works both ways.
    await waitFor(() => c.closed(), { timeoutMs: 10_000, what: 'tainted connection reset' });
    const c2 = await connect(proxy.port);
    cleanup.push(() => void c2.s.destroy());
    c2.s.write('again');
    await waitFor(() => target.received[1] === 'again', { timeoutMs: 10_000, what: 'bytes after heal' });
  });

  it("a link cut 'down' carries no server->client bytes; 'both' carries nothing", async () => {
    const { target, proxy } = await setup();
    const c = await connect(proxy.port);
    cleanup.push(() => void c.s.destroy());
    await waitFor(() => target.sockets.length === 1, { timeoutMs: 10_000, what: 'upstream connection' });
    proxy.block('down');
    target.push('hidden');
    c.s.write('up-ok');
    await waitFor(() => target.received[0] === 'up-ok', { timeoutMs: 10_000, what: 'up direction' });
    await quiet(300);
    expect(c.got()).toBe('');
    proxy.block('up');
    expect(proxy.blocked).toEqual({ up: true, down: true });
    c.s.write('x');
    target.push('y');
    await quiet(300);
    expect(target.received[0]).toBe('up-ok');
    expect(c.got()).toBe('');
  });

  it('new connections made during a cut carry nothing either', async () => {
    const { target, proxy } = await setup();
    proxy.block('both');
    const c = await connect(proxy.port);
    cleanup.push(() => void c.s.destroy());
    c.s.write('nope');
    await quiet(300);
    expect(target.received.join('')).toBe('');
    expect(c.got()).toBe('');
  });

  it('delays without reordering, and drops connections', async () => {
    const { target, proxy } = await setup();
    proxy.delay(200);
    const c = await connect(proxy.port);
    cleanup.push(() => void c.s.destroy());
    const t0 = Date.now();
    for (const part of ['1', '2', '3', '4']) c.s.write(part);
    await waitFor(() => target.received[0] === '1234', { timeoutMs: 10_000, what: 'delayed bytes in order' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    proxy.delay(0);
    proxy.dropConnections();
    await waitFor(() => c.closed(), { timeoutMs: 10_000, what: 'connection dropped' });
    expect(proxy.connections).toBe(0);
  });

  it('passes a half-close on: the client can end its side and still read the reply', async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => s.end(`reply to ${got}`)); // answers only after the request is complete
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const proxy = await FaultProxy.start({ targetPort: (server.address() as net.AddressInfo).port });
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())), () => proxy.close());
    proxy.delay(50);
    const c = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    let reply = '';
    c.on('data', (d) => (reply += d.toString()));
    const ended = new Promise<void>((r) => c.on('end', () => r()));
    c.write('question');
    c.end();
    await ended;
    c.destroy();
    expect(reply).toBe('reply to question');
  });

  it('freePorts returns distinct ports that can be listened on', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    const more = await freePorts(5);
    expect(more.some((p) => ports.includes(p))).toBe(false);
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(ports[0], '127.0.0.1', () => r()));
    await new Promise<void>((r) => s.close(() => r()));
  });
});

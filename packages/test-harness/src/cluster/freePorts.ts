import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// Ports come from below Linux's ephemeral range (32768+), so the kernel never hands one of
// them to an outgoing connection between our check and the child's bind. A reservation file
// per port keeps parallel test processes (nx runs several projects at once) from picking the
// same one; reservations expire after RESERVATION_MS. The directory must be one for every
// test run on the machine: a run with a private TMPDIR (scripts/test-tmpdir.ts) names the
// shared one in QUORUMKIT_PORTS_DIR.
const PORT_LO = 20_000;
const PORT_HI = 32_000;
const RESERVATION_MS = 15 * 60_000;
const reserveDir = process.env.QUORUMKIT_PORTS_DIR ?? path.join(os.tmpdir(), 'quorumkit-ports');
const handedOut = new Set<number>();

function reserve(port: number): boolean {
  const file = path.join(reserveDir, String(port));
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > RESERVATION_MS) {
        fs.writeFileSync(file, String(process.pid));
        return true;
      }
    } catch {
      return false;
    }
    return false;
  }
}

function canListen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(s));
  });
}

/** `count` distinct ports that are free on 127.0.0.1 right now and not handed out before. */
export async function freePorts(count: number): Promise<number[]> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`freePorts: bad count ${count}`);
  fs.mkdirSync(reserveDir, { recursive: true });
  const held: net.Server[] = [];
  const out: number[] = [];
  try {
    for (let attempts = 0; out.length < count; attempts++) {
      if (attempts > count * 200 + 1000) throw new Error(`freePorts: could not find ${count} free ports`);
      const port = randomInt(PORT_LO, PORT_HI);
      if (handedOut.has(port) || out.includes(port)) continue;
      const s = await canListen(port);
      if (s === undefined) continue;
      held.push(s);
      if (!reserve(port)) continue;
      out.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  for (const p of out) handedOut.add(p);
  return out;
}

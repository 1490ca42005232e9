// The peer handshake: the accepting side sends a fresh random challenge on every peer
// connection; the dialing side answers with its rank and, when the cluster has a shared secret,
// HMAC-SHA256(secret, "csp-paxos/1|challenge|dialer|acceptor"). Only then are its frames taken
// as that peer's messages. A fresh challenge per connection means a recorded handshake cannot
// be replayed, and naming both ranks means an answer for one node is useless at another.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CHALLENGE_BYTES = 16;

export function newChallenge(): string {
  return randomBytes(CHALLENGE_BYTES).toString('hex');
}

export function handshakeMac(secret: Buffer, challenge: string, dialer: number, acceptor: number): string {
  return createHmac('sha256', secret).update(`csp-paxos/1|${challenge}|${dialer}|${acceptor}`).digest('hex');
}

export function verifyMac(secret: Buffer, challenge: string, dialer: number, acceptor: number, mac: unknown): boolean {
  if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
  const want = Buffer.from(handshakeMac(secret, challenge, dialer, acceptor), 'hex');
  return timingSafeEqual(want, Buffer.from(mac, 'hex'));
}

// Static membership: the checks a server applies to its own address and peer list before
// it starts, and the hash of the member set that every peer op carries. A replica answers
// ERROR to an op whose hash differs from its own, so two servers started with different
// ideas of who the cluster is never count each other toward a majority.
// Pure: addresses are compared as strings after canonicalisation (no DNS lookups).

/** `host:port` with ':P' meaning 127.0.0.1:P and `localhost` meaning 127.0.0.1 (lower case). */
export function canonicalAddr(addr: string): string {
  let a = addr.trim().toLowerCase();
  if (a.startsWith(':')) a = `127.0.0.1${a}`;
  const i = a.lastIndexOf(':');
  if (i <= 0) return a;
  let host = a.slice(0, i);
  const port = a.slice(i + 1);
  if (host === 'localhost' || host === '[::ffff:127.0.0.1]') host = '127.0.0.1';
  return `${host}:${port.replace(/^0+(?=\d)/, '')}`;
}

function portOf(addr: string): string {
  return addr.slice(addr.lastIndexOf(':') + 1);
}

/** Hosts that mean "this machine" when a server listens on the wildcard address. */
const LOOPBACK = new Set(['127.0.0.1', '[::1]']);

/**
 * Why `self` + `peers` is not a usable cluster, or undefined when it is. Refused: a peer
 * that is this server, the same peer twice (also spelled two ways), an empty address, and
 * a 2-server cluster (its majority is both servers: it survives no failure, and a server
 * that lost its disk could never rejoin, since that needs every other server ready).
 */
export function membershipProblem(self: string, peers: string[]): string | undefined {
  const me = canonicalAddr(self);
  const meHost = me.slice(0, me.lastIndexOf(':'));
  const mePort = portOf(me);
  const seen = new Map<string, string>();
  for (const p of peers) {
    if (p.trim() === '' || !/:\d+$/.test(p.trim())) return `peer address "${p}" is not host:port`;
    const c = canonicalAddr(p);
    const prior = seen.get(c);
    if (prior !== undefined) {
      return prior === p ? `peer ${p} is listed twice` : `peers ${prior} and ${p} are the same server (${c})`;
    }
    seen.set(c, p);
    const host = c.slice(0, c.lastIndexOf(':'));
    const isSelf = mePort !== '0' && portOf(c) === mePort && (c === me || (meHost === '0.0.0.0' && LOOPBACK.has(host)));
    if (isSelf) return `peer ${p} is this server itself (${self}): list only the other servers`;
  }
  if (peers.length + 1 === 2) {
    return 'a cluster of 2 servers is refused: its majority is both servers, so it survives no failure and a server that lost its disk could never rejoin; use 3 or 5 servers';
  }
  return undefined;
}

/**
 * A short hash of the member set (canonical addresses, sorted; the same on every member):
 * 64-bit FNV-1a in hex. Not a security measure, a consistency check between configurations.
 */
export function membershipHash(members: string[]): string {
  const text = [...new Set(members.map(canonicalAddr))].sort().join(',');
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

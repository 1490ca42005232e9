import { AcceptorLink, LinkTransport, type AcceptorServer, type PaxosTiming, paxosTimingDefaults, serveAcceptors } from '../src/index.js';

/** Generous timing for tests on a loaded 2-core box: a slow reply must not look like a failure. */
export const SLOW_OK: PaxosTiming = { ...paxosTimingDefaults, deadlineMs: 60_000, phaseTimeoutMs: 20_000 };

/** The seed's ServeAcceptors on free ports, plus a transport whose acceptor i is server i. */
export async function acceptors(n = 3, data?: string) {
  const servers: AcceptorServer[] = await serveAcceptors(n, { basePort: 0, data });
  const links = servers.map((s) => new AcceptorLink(s.address));
  const transport = new LinkTransport(links);
  return {
    servers,
    links,
    transport,
    addresses: servers.map((s) => s.address),
    async stop() {
      for (const l of links) l.close();
      await Promise.allSettled(servers.map((s) => s.close()));
    },
  };
}

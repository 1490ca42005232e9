import { AcceptorLink, LinkTransport, type AcceptorServer, serveAcceptors } from '../src/index.js';

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

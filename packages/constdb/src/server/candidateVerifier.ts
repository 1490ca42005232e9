// Admission of nodes that announced themselves (handshake, gossip): a node becomes a replica
// only after we dialled the address it gave and found that id there.
import type { Logger } from 'pino';

/** verification of a node that announced itself (handshake, gossip): limits */
const VERIFY_INFLIGHT_MAX = 16;
const VERIFY_TIMEOUT_MS = 5000;
const VERIFY_COOLDOWN_MS = 2000;

/** What the verifier needs of the replicator (kept narrow: no import of it, no cycle). */
export interface VerifierHost {
  readonly stopped: boolean;
  readonly selfOut: boolean;
  readonly node: { readonly cfg: { readonly nodeId: number } };
  readonly members: { isOut(id: number): boolean };
  readonly stats: { candidatesVerified: number; candidatesRefused: number };
  readonly log: Logger;
  addPeer(id: number, host: string, port: number, alias: string): unknown;
}

export type Probe = (host: string, port: number, timeoutMs: number) => Promise<{ id: number; alias: string }>;

export class CandidateVerifier {
  /** in-flight verifications (capped) and recent failures (id -> ms, a cool-down) */
  private readonly verifying = new Set<number>();
  private readonly verifyFailed = new Map<number, number>();

  constructor(
    private readonly host: VerifierHost,
    private readonly probe: Probe,
    private readonly dialOverride: (id: number) => { host: string; port: number } | undefined,
  ) {}

  /**
   * Dials `host:port` (or the peer_addrs override for `id`) with a probe handshake; only if
   * the node found there is `id` does it become a replica (or move to that address). A
   * forged handshake or gossip entry naming a dead or foreign address therefore adds
   * nothing: no peer, nothing persisted, no link, no effect on tombstone GC.
   */
  verify(id: number, host: string, port: number, alias: string): void {
    const h = this.host;
    if (h.stopped || id === h.node.cfg.nodeId || h.members.isOut(id) || h.selfOut || this.verifying.has(id)) return;
    if (this.verifying.size >= VERIFY_INFLIGHT_MAX) return;
    const failedAt = this.verifyFailed.get(id);
    if (failedAt !== undefined && Date.now() - failedAt < VERIFY_COOLDOWN_MS) return;
    this.verifying.add(id);
    const addr = this.dialOverride(id) ?? { host, port };
    void this.probe(addr.host, addr.port, VERIFY_TIMEOUT_MS).then(
      (found) => {
        this.verifying.delete(id);
        if (found.id !== id) throw new Error(`found node ${found.id} there`);
        this.verifyFailed.delete(id);
        if (h.stopped || h.members.isOut(id)) return;
        h.stats.candidatesVerified++;
        h.addPeer(id, host, port, alias || found.alias);
      },
    ).catch((e: Error) => {
      this.verifying.delete(id);
      h.stats.candidatesRefused++;
      if (this.verifyFailed.size >= 1024) this.verifyFailed.clear();
      this.verifyFailed.set(id, Date.now());
      h.log.warn({ node: id, addr: `${host}:${port}`, err: e.message }, 'not adding an unverified replica');
    });
  }
}

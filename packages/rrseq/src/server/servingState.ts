// What follows from the replica becoming able to serve, or no longer able: the gRPC health
// statuses, the onServing announcement (the CLI's `serving` line), and the identity record
// that makes this server a known member of its cluster from then on.
import type { Logger } from 'pino';
import type { ReplicaIdentity } from '@quorumkit/shared-storage';
import { canonicalAddr } from '../core/index.js';
import { recordMembership } from '../storage/identity.js';

export interface ServingStateDeps {
  /** The persist file ('' writes no identity record). */
  path: string;
  log: Logger;
  setServing(service: string, status: 'SERVING' | 'NOT_SERVING'): void;
  /** The address this server is bound to (its replica id in the identity record). */
  boundAddr(): string;
  onServing?: () => void;
}

export class ServingState {
  private healthReady: boolean | undefined;
  private announced = false;
  private identityWriting = false;

  constructor(
    private readonly deps: ServingStateDeps,
    private identity: ReplicaIdentity | undefined,
  ) {}

  /** Called after anything that may have changed whether the replica is ready. */
  update(ready: boolean, cluster: string): void {
    // gRPC health: pb.RRAPI is SERVING once this replica holds a valid state.
    if (ready !== this.healthReady) {
      this.healthReady = ready;
      // The whole server ('') and pb.RRLease (GRPCNextID over a stream) serve exactly what pb.RRAPI serves.
      for (const svc of ['pb.RRAPI', 'pb.RRLease', '']) this.deps.setServing(svc, ready ? 'SERVING' : 'NOT_SERVING');
      if (ready) {
        this.deps.log.info({ cluster }, 'replica ready');
        this.writeIdentity(cluster);
      }
    }
    if (ready !== this.announced) {
      this.announced = ready;
      if (ready) this.deps.onServing?.();
    }
  }

  /** Once a member: record it in the identity record next to the persist file (once). */
  private writeIdentity(cluster: string): void {
    if (this.deps.path === '' || this.identityWriting || this.identity?.clusterId === cluster) return;
    this.identityWriting = true;
    recordMembership(this.deps.path, this.identity, cluster, canonicalAddr(this.deps.boundAddr()), 'member').then(
      (idn) => {
        this.identity = idn;
        this.identityWriting = false;
      },
      (e: unknown) => {
        this.identityWriting = false;
        this.deps.log.warn({ err: String(e) }, 'could not write the identity record; will retry');
        // The next update() goes through the ready branch again, and so retries the write.
        this.healthReady = undefined;
      },
    );
  }
}

// The server end of GRPCPeerStream: each PeerRequest is one batch handed to the same
// handler as a GRPCPeer call, synchronously on arrival (so batches are applied in the
// order the peer sent them), and answered with its batch number once its results are ready
// (dirty ones after the persist: replies may overtake each other, the numbers match them).
import type { WirePeerOp, WirePeerResult } from './wire.js';

export interface PeerBatch {
  fromNode?: number;
  ops: WirePeerOp[];
  batch: string;
}

export type PeerStreamHandler = (
  requests: AsyncIterable<PeerBatch>,
  out: { write(r: { batch: string; results: WirePeerResult[] }): Promise<void> },
  ctx: { signal: AbortSignal },
) => Promise<void>;

/** `apply` is the GRPCPeer handler; its promise must not reject (malformed ops answer ERROR). */
export function peerStreamHandler(apply: (req: { ops: WirePeerOp[] }) => Promise<{ results: WirePeerResult[] }>): PeerStreamHandler {
  return async (requests, out, ctx) => {
    let pending = 0;
    let drained: (() => void) | undefined;
    const answered = (): void => {
      pending -= 1;
      if (pending === 0) drained?.();
    };
    for await (const req of requests) {
      const batch = String(req.batch ?? '0');
      const ops = req.ops ?? [];
      pending += 1;
      apply({ ops }).then(
        (r) => void out.write({ batch, results: r.results }).then(answered, answered),
        () => {
          const results = ops.map((o) => ({ id: String(o?.id ?? '0'), status: 'ERROR', value: '0', token: '', entries: [], empty: false }));
          void out.write({ batch, results }).then(answered, answered);
        },
      );
    }
    // The peer half-closed: send what is still being answered. A call that is over (the
    // peer went away, this server is closing) can carry nothing more: end now.
    if (pending > 0 && !ctx.signal.aborted) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  };
}

// The receiver's ordering rules, driven directly through its Batch handler.
import { describe, expect, it } from 'vitest';
import { bytesCodec, peerLinkService, QuorumkitError } from '../src/index.js';

type Batch = (req: unknown) => Promise<{ delivered: number }>;
const ctx = {} as never;

function setup(reorderWaitMs = 60_000) {
  const got: string[] = [];
  const spec = peerLinkService<Uint8Array>({
    codec: bytesCodec,
    reorderWaitMs,
    reorderBatchesMax: 4,
    onMessage: (m, from) => void got.push(`${from}:${Buffer.from(m).toString()}`),
  });
  const handler = spec.handlers.Batch as unknown as (req: unknown, c: never) => Promise<{ delivered: number }>;
  const batch: Batch = (req) => handler(req, ctx);
  const req = (seq: number, floor: number, ...msgs: string[]) => ({
    from: 'p',
    session: 's1',
    seq: String(seq),
    floor: String(floor),
    messages: msgs.map((m) => Buffer.from(m)),
  });
  return { got, batch, req, stats: spec.stats };
}

describe('PeerLink receiver ordering', () => {
  it('holds an early batch until the missing one arrives, then delivers both in order', async () => {
    const { got, batch, req } = setup();
    const early = batch(req(2, 1, 'c', 'd'));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([]);
    await expect(batch(req(1, 1, 'a', 'b'))).resolves.toEqual({ delivered: 2 });
    await expect(early).resolves.toEqual({ delivered: 2 });
    expect(got).toEqual(['p:a', 'p:b', 'p:c', 'p:d']);
  });

  it('delivers a retried batch once', async () => {
    const { got, batch, req, stats } = setup();
    await batch(req(1, 1, 'a'));
    await expect(batch(req(1, 1, 'a'))).resolves.toEqual({ delivered: 0 });
    expect(got).toEqual(['p:a']);
    expect(stats.duplicates).toBe(1);
  });

  it('skips a batch the sender abandoned (floor moved past it)', async () => {
    const { got, batch, req } = setup();
    await batch(req(1, 1, 'a'));
    // seq 2 was abandoned by the sender: seq 3 says everything below 3 is settled
    await expect(batch(req(3, 3, 'c'))).resolves.toEqual({ delivered: 1 });
    // a late copy of 2 is now too old and is not delivered out of order
    await expect(batch(req(2, 2, 'b'))).resolves.toEqual({ delivered: 0 });
    expect(got).toEqual(['p:a', 'p:c']);
  });

  it('skips a gap that stays open longer than reorderWaitMs', async () => {
    const { got, batch, req, stats } = setup(50);
    await batch(req(1, 1, 'a'));
    await expect(batch(req(3, 2, 'c'))).resolves.toEqual({ delivered: 1 });
    expect(got).toEqual(['p:a', 'p:c']);
    expect(stats.gapsSkipped).toBe(1);
  });

  it('starts a new session at its floor (receiver restarted mid-session)', async () => {
    const { got, batch, req } = setup();
    await expect(batch(req(41, 41, 'x'))).resolves.toEqual({ delivered: 1 });
    expect(got).toEqual(['p:x']);
  });

  it('rejects malformed batches and too many early ones without changing anything', async () => {
    const { got, batch, req } = setup();
    for (const bad of [{ ...req(1, 1), session: '' }, { ...req(1, 1), seq: 'abc' }, req(0, 0), req(2, 3), { ...req(1, 1), from: 5 }]) {
      const err = await batch(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QuorumkitError);
      expect((err as QuorumkitError).code).toBe('EBADBATCH');
    }
    const early = [2, 3, 4, 5].map((s) => batch(req(s, 1, String(s))));
    const full = await batch(req(6, 1, '6')).catch((e: unknown) => e);
    expect((full as QuorumkitError).code).toBe('EREORDERFULL');
    expect(got).toEqual([]);
    await batch(req(1, 1, '1'));
    await Promise.all(early);
    expect(got).toEqual(['p:1', 'p:2', 'p:3', 'p:4', 'p:5']);
  });
});

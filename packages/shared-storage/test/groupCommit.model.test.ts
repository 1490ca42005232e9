import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupCommitWriter, openStore } from '../src/index.js';
import { collect, recordingStore } from './helpers.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

// Random writers arrive over random ticks, some batches fail. Whatever the schedule: batches
// respect batchOpsMax, accepted ops never exceed queueOpsMax, a caller resolves iff its batch
// was written, and the store ends up equal to the successful callers' ops applied in call order.
describe('GroupCommitWriter model check', () => {
  it('holds its invariants under random arrivals, sizes and failures', async () => {
    const op = fc.record({ del: fc.boolean(), key: fc.integer({ min: 0, max: 7 }), value: fc.integer({ min: 0, max: 255 }) });
    const writerArb = fc.record({ delayTicks: fc.integer({ min: 0, max: 6 }), ops: fc.array(op, { minLength: 0, maxLength: 4 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(writerArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 4, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.func(fc.boolean()),
        async (writers, batchOpsMax, queueExtra, failPick) => {
          const inner = await openStore({ memory: true });
          const ks = inner.keyspace('m');
          const shouldFail = (i: number) => i % 3 === 0 && failPick(i) === true;
          const queueOpsMax = batchOpsMax + queueExtra;
          const rec = recordingStore(inner, shouldFail);
          const watched = new GroupCommitWriter(rec.store, { batchOpsMax, queueOpsMax });
          let maxQueued = 0;
          const callOrder: number[] = [];
          const outcome = await Promise.all(
            writers.map(async (wr, id) => {
              for (let t = 0; t < wr.delayTicks; t++) await tick();
              callOrder.push(id);
              const ops = wr.ops.map((o) => (o.del ? ks.del(Uint8Array.of(o.key)) : ks.put(Uint8Array.of(o.key), Uint8Array.of(o.value))));
              const p = watched.write(ops);
              maxQueued = Math.max(maxQueued, watched.queuedOps);
              return p.then(
                () => 'ok' as const,
                (e: Error) => (/injected failure/.test(e.message) ? ('failed' as const) : e),
              );
            }),
          );
          expect(outcome.every((o) => o === 'ok' || o === 'failed')).toBe(true);
          expect(rec.batches.every((n) => n <= batchOpsMax)).toBe(true);
          expect(maxQueued).toBeLessThanOrEqual(queueOpsMax);
          const failedBatches = rec.batches.filter((_, i) => shouldFail(i)).length;
          expect(watched.failedBatchCount).toBe(failedBatches);
          expect(watched.syncCount).toBe(rec.batches.length - failedBatches);

          const model = new Map<number, number>();
          for (const id of callOrder) {
            if (outcome[id] !== 'ok') continue;
            for (const o of writers[id]!.ops) {
              if (o.del) model.delete(o.key);
              else model.set(o.key, o.value);
            }
          }
          const actual = (await collect(ks.range())).map(([k, v]) => [k[0], v[0]]);
          expect(actual).toEqual([...model.entries()].sort(([a], [b]) => a - b));
          await inner.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});

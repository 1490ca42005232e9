// The durable key promises of one acceptor (core keyPromise.ts): one CRC-sealed record per key
// in its own keyspace, kept in memory once read. A change is written through the store's group
// commit and every answer that depends on it waits until it is durable.
import {
  type GroupCommitWriter,
  type Keyspace,
  decodeJson,
  decodeStringKeyAt,
  encodeJson,
  encodeStringKey,
  openRecord,
  sealRecord,
} from '@quorumkit/shared-storage';
import type { KeyPromise } from '../core/index.js';

function encode(kp: KeyPromise): Uint8Array {
  return sealRecord(encodeJson([kp.from, kp.bal.n, kp.bal.proposerId]));
}

function decode(bytes: Uint8Array): KeyPromise {
  const [from, n, proposerId] = decodeJson<[bigint, bigint, bigint]>(openRecord(bytes));
  return { from, bal: { n, proposerId } };
}

export class KeyPromiseTable {
  /** key -> its promise (null: none), for keys read so far (the same keys as the store's version index) */
  private readonly mem = new Map<string, KeyPromise | null>();
  /** key -> the write of its latest change, until durable */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly space: Keyspace,
    private readonly writer: GroupCommitWriter,
  ) {}

  /** Read the key's promise from disk (once per key per process; a damaged record fails its checksum). */
  async load(key: string): Promise<void> {
    if (this.mem.has(key)) return;
    const bytes = await this.space.get(encodeStringKey(key));
    if (!this.mem.has(key)) this.mem.set(key, bytes ? decode(bytes) : null);
  }

  /** The key's promise (after load). */
  get(key: string): KeyPromise | null {
    return this.mem.get(key) ?? null;
  }

  /** Resolves once the key's promise as seen now is durable. */
  durable(key: string): Promise<void> | undefined {
    return this.pending.get(key);
  }

  /** Take `kp` as the key's promise at once (decisions see it) and write it; resolves when durable. */
  set(key: string, kp: KeyPromise): Promise<void> {
    this.mem.set(key, kp);
    const w = this.writer.write([this.space.put(encodeStringKey(key), encode(kp))]);
    this.pending.set(key, w);
    void w.then(
      () => this.pending.get(key) === w && this.pending.delete(key),
      () => undefined,
    );
    return w;
  }

  /** Key promises in key order after `afterKey` (exclusive), at most `limit`: what a recovering peer re-learns. */
  async dump(afterKey: string | null, limit: number): Promise<{ key: string; kp: KeyPromise }[]> {
    const out: { key: string; kp: KeyPromise }[] = [];
    const range = afterKey !== null ? { gt: encodeStringKey(afterKey), limit } : { limit };
    for await (const [k, v] of this.space.range(range)) {
      const key = decodeStringKeyAt(k, 0).value;
      out.push({ key, kp: this.mem.get(key) ?? decode(v) });
    }
    return out;
  }
}

// Issue 19 item 6 (part): a corrupt persist file is moved aside (`<file>.corrupt-<time>`),
// never overwritten, and the server recovers from its peers.
import { readdir, readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RRSeq, RRServer } from '../src/index.js';
import { startLocalCluster, waitUntil } from './helpers/cluster.js';

describe('a corrupt persist file', () => {
  it('is moved aside intact and the server rebuilds its state from its peers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rrseq-corrupt-'));
    const paths = [0, 1, 2].map((i) => join(dir, `serv${i}_persist`));
    const c = await startLocalCluster(3, { paths });
    let again: RRServer | undefined;
    const s = new RRSeq('c', 0, c.addrs);
    try {
      let last = 0n;
      for (let i = 0; i < 10; i++) last = await s.next();
      await c.servers[0]!.close();
      const garbage = Buffer.from('this is not a persist file');
      await writeFile(paths[0]!, garbage);
      again = await RRServer.start({ addr: c.addrs[0]!, path: paths[0]!, peers: c.addrs.slice(1) });
      const aside = (await readdir(dir)).filter((f) => f.startsWith('serv0_persist.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(await readFile(join(dir, aside[0]!))).toEqual(garbage);
      await waitUntil(() => again!.ready, 20_000, 'the server to recover');
      const only = new RRSeq('c', 0, [c.addrs[0]!]);
      try {
        expect(await only.next()).toBeGreaterThan(last);
      } finally {
        await only.close();
      }
    } finally {
      await s.close();
      await again?.close();
      await c.servers[1]!.close();
      await c.servers[2]!.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

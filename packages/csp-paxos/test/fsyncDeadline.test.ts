// Issue 18 item 6: the fsync wait has a deadline. A disk that never answers fails the waiting
// appends with a named error, refuses every later one, and the node stops itself (fail-stop)
// without sending anything that depended on the stuck records.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { committeeFromPorts } from '../src/server/config.js';
import { CspPaxosNode } from '../src/server/node.js';
import { AcceptorLog, AcceptorLogStalled } from '../src/storage/acceptorLog.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'csp-paxos-fsync-'));
const stuckDisk = (): void => {};
let syncs = 0;
const countingDisk = (_fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
  syncs++;
  cb(null);
};

const running: CspPaxosNode[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((n) => n.stop()));
});

describe('acceptor log sync deadline', () => {
  it('a sync that never returns fails its waiters with EACCEPTORSTALL, and every later append at once', async () => {
    const { log } = AcceptorLog.open(join(dir(), 'acceptor.log'), () => {}, { syncDeadlineMs: 50, syncFn: stuckDisk });
    try {
      const first = log.append([{ t: 'p', r: 1 }]);
      const queued = log.append([{ t: 'p', r: 2 }]);
      await expect(first).rejects.toBeInstanceOf(AcceptorLogStalled);
      await expect(queued).rejects.toMatchObject({ code: 'EACCEPTORSTALL' });
      await expect(log.append([{ t: 'p', r: 3 }])).rejects.toMatchObject({ code: 'EACCEPTORSTALL' });
      expect(log.stalled).toBeInstanceOf(AcceptorLogStalled);
    } finally {
      log.close();
    }
  });

  it('a disk that answers is unaffected by the deadline', async () => {
    syncs = 0;
    const { log } = AcceptorLog.open(join(dir(), 'acceptor.log'), () => {}, { syncDeadlineMs: 50, syncFn: countingDisk });
    try {
      for (let i = 0; i < 5; i++) await log.append([{ t: 'p', r: i }]);
      expect(syncs).toBe(5);
      expect(log.stalled).toBeUndefined();
    } finally {
      log.close();
    }
  });

  it('a node whose disk stalls stops by itself, names the cause, and sent no vote', async () => {
    const ports = await freePorts(6);
    const committee = committeeFromPorts(ports.slice(0, 3), '127.0.0.1', ports.slice(3));
    const node = await CspPaxosNode.start({ id: 0, committee, logDir: dir(), bootstrap: true, core: { generate: false }, acceptorLog: { syncDeadlineMs: 200, syncFn: stuckDisk } });
    running.push(node);
    // Node 0 leads round 0 at once: its own promise is the first record, and it never syncs.
    await waitFor(() => node.stopped, { timeoutMs: 20_000, what: 'the node stopping on the stalled disk' });
    await node.done;
    expect((node.failure as { code?: string } | undefined)?.code).toBe('EACCEPTORSTALL');
    expect(node.statusSnapshot().fatal).toMatch(/disk stalled/);
    // Its promise never became durable, so it never counted itself: nothing was proposed.
    expect(node.cores!.leader.phase).not.toBe('streaming');
  }, 60_000);
});

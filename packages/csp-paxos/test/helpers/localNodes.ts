// Real csp-paxos nodes in the test process on free 127.0.0.1 ports: every node a test file
// starts is stopped after each test, also when it fails.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '@quorumkit/test-harness';
import { afterEach } from 'vitest';
import { type Member, committeeFromPorts } from '../../src/server/config.js';
import { CspPaxosNode, type NodeOptions } from '../../src/server/node.js';

export interface LocalNodes {
  start(opts: NodeOptions): Promise<CspPaxosNode>;
  /** Stops every node started so far (the test goes on with none running). */
  stopAll(): Promise<void>;
}

/** Call at the top of a test file: registers the afterEach that stops what `start` started. */
export function localNodes(): LocalNodes {
  const running: CspPaxosNode[] = [];
  afterEach(async () => {
    await Promise.allSettled(running.splice(0).map((n) => n.stop()));
  });
  return {
    async start(opts) {
      const n = await CspPaxosNode.start(opts);
      running.push(n);
      return n;
    },
    async stopAll() {
      await Promise.all(running.splice(0).map((n) => n.stop()));
    },
  };
}

/** A committee of `n` nodes on free ports (client ports, peer ports) and a fresh log directory. */
export async function localCommittee(n: number, dirPrefix: string): Promise<{ ports: number[]; committee: Member[]; logDir: string }> {
  const all = await freePorts(2 * n);
  const ports = all.slice(0, n);
  return { ports, committee: committeeFromPorts(ports, '127.0.0.1', all.slice(n)), logDir: mkdtempSync(join(tmpdir(), dirPrefix)) };
}

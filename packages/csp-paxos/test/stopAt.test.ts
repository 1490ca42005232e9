// A node told to stop far in the future (csp-paxos node -t 3000000) keeps running: Node's
// setTimeout fires at once for delays above 2^31-1 ms, which used to stop such a node at start.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { committeeFromPorts } from '../src/server/config.js';
import { CspPaxosNode } from '../src/server/node.js';

const running: CspPaxosNode[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((n) => n.stop()));
});

describe('stop time', () => {
  it('a stop 40 days ahead does not stop the node now', async () => {
    const ports = await freePorts(6);
    const committee = committeeFromPorts(ports.slice(0, 3), '127.0.0.1', ports.slice(3));
    const logDir = mkdtempSync(join(tmpdir(), 'csp-paxos-stopat-'));
    const node = await CspPaxosNode.start({ id: 0, committee, logDir, bootstrap: true, core: { generate: false }, stopAtMs: Date.now() + 40 * 86_400_000 });
    running.push(node);
    // An overflowing timer fires after 1 ms; several timer turns later the node must still run.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    expect(node.stopped).toBe(false);
  });
});

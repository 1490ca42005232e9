// requirepass guards clients and peers alike: nodes sharing the password replicate, a node
// with another password cannot join.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '@quorumkit/test-harness';
import { CONSTDB_CLI, requireBuilt } from './constdbUtil.js';
import { Redis } from 'ioredis';

describe('constdb: AUTH between peers', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('MEET works with the shared password and fails with another', async () => {
    requireBuilt();
    const dataDir = mkdtempSync(join(tmpdir(), 'constdb-auth-'));
    const pw = ['s3cret', 's3cret', 'other'];
    cluster = await startCluster({
      nodes: 3,
      dataDir,
      spec: (i, ports) => ({ command: process.execPath, args: [CONSTDB_CLI, '--node-id', String(i + 1), '--port', String(ports[i]![0]), '--work-dir', join(dataDir, `node${i}`), '--requirepass', pw[i]!, '--log-level', 'warn'] }),
      readyWhen: /ready on/,
    });
    const ports = cluster.ports.map((p) => p[0]!);
    const c = ports.map((port, i) => new Redis({ port, password: pw[i], lazyConnect: true }));
    await Promise.all(c.map((x) => x.connect()));
    try {
      const anon = new Redis({ port: ports[0], lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
      anon.on('error', () => {});
      await anon.connect();
      await expect(anon.get('x')).rejects.toThrow('NOAUTH Authentication required.');
      anon.disconnect();
      expect(await c[1]!.call('MEET', `127.0.0.1:${ports[0]}`)).toBe(1);
      await c[0]!.set('shared', 'yes');
      await cluster.waitFor(async () => (await c[1]!.get('shared')) === 'yes', { timeoutMs: 20_000, what: 'replicated with the password' });
      await expect(c[2]!.call('MEET', `127.0.0.1:${ports[0]}`)).rejects.toThrow(/WRONGPASS/);
      expect(await c[2]!.get('shared')).toBeNull();
    } finally {
      c.forEach((x) => x.disconnect());
    }
  });
});

// appendfsync always: one fdatasync covers every client served in one event-loop turn
// (Redis's beforeSleep), and no reply leaves before the fdatasync of the ops it acknowledges.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { ConstdbNode } from '../src/server/node.js';
import { defaultConfig } from '../src/server/config.js';
import { tmp } from './proc.js';

const CLIENTS = 12;

describe('appendfsync always: one fdatasync per event-loop turn', () => {
  let node: ConstdbNode | undefined;
  const socks: Socket[] = [];
  afterEach(async () => {
    for (const s of socks.splice(0)) s.destroy();
    await node?.close({ snapshot: false });
    node = undefined;
  });

  it('writes of 12 clients read in one turn cost one fdatasync; each reply follows it', async () => {
    const dir = tmp();
    node = new ConstdbNode({ ...defaultConfig, port: 0, workDir: dir, appendonly: true, appendfsync: 'always', snapshotIntervalSec: 0 }, pino({ level: 'silent' }));
    await node.load();
    const port = await node.listen();
    const n = node;
    let fsyncs = 0;
    const aofBytesAtFsync: number[] = [];
    n.aof!.onFsync = () => {
      fsyncs++;
      aofBytesAtFsync.push(readFileSync(n.aofPath).length);
    };
    const replies: Array<Promise<string>> = [];
    for (let i = 0; i < CLIENTS; i++) {
      const s = connect({ host: '127.0.0.1', port });
      socks.push(s);
      await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
    }
    const deadline = Date.now() + 30_000;
    while (n.conns.size < CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(n.conns.size).toBe(CLIENTS);
    let fsyncsAtFirstReply = -1;
    for (const [i, s] of socks.entries()) {
      replies.push(new Promise<string>((res) => {
        let got = '';
        s.on('data', (d) => {
          if (fsyncsAtFirstReply < 0) fsyncsAtFirstReply = fsyncs;
          got += d;
          if (got.endsWith('\r\n')) res(got);
        });
      }));
      // written in one synchronous loop: every request is in the server's socket buffers
      // before its event loop polls them, so all 12 are read in the same turn
      s.write(`*3\r\n$3\r\nSET\r\n$2\r\nk${i % 10}\r\n$1\r\nv\r\n`);
    }
    const got = await Promise.all(replies);
    expect(got).toEqual(Array(CLIENTS).fill('+OK\r\n'));
    // one turn, one fdatasync (one per client before); replies came after it
    expect(fsyncs).toBe(1);
    expect(fsyncsAtFirstReply).toBe(1);
    // the fdatasync covered the file holding all 12 ops
    expect(aofBytesAtFsync[0]).toBe(readFileSync(n.aofPath).length);
  }, 60_000);
});

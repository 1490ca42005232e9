// card-tool --json (issue 23): against three real card-srv processes each call prints exactly
// one JSON object on stdout with what a script needs (ids and amounts as strings), and the
// exit code is the text mode's: 0 done, 1 refused by the server or unreachable.
import { afterEach, describe, expect, it } from 'vitest';
import { startCardCluster, type CardCluster } from './certainCluster.js';

let cc: CardCluster | undefined;
afterEach(async () => {
  await cc?.cluster.stop();
  cc = undefined;
});

function one(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines, stdout).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('card-tool --json', () => {
  it('Insert, Update, Select, a refused Select and an unreachable server each print one JSON object', async () => {
    cc = await startCardCluster();
    const X = ['-X', cc.cardAddr(0), '-Y', cc.cardAddr(1), '-Z', cc.cardAddr(2)];
    // the first call may meet a replica still starting: bounded retry on the text output
    await cc.toolUntil([...X, '-o', 'Insert', '-i', '41', '-n', 'alice', '-u', '7', '-b', '100'], 'Done', 60_000);
    const upd = await cc.tool([...X, '-o', 'Update', '-i', '41', '-d', '-30', '--json']);
    expect(upd.code, upd.stdout + upd.stderr).toBe(0);
    expect(one(upd.stdout)).toMatchObject({ op: 'Update', cardId: '41', ok: true, card: { balance: '70' } });
    const sel = await cc.tool([...X, '-o', 'Select', '-i', '41', '--json']);
    expect(sel.code).toBe(0);
    expect(one(sel.stdout)).toEqual({ op: 'Select', cardId: '41', ok: true, card: { userName: 'alice', userId: '7', balance: '70' } });
    const missing = await cc.tool([...X, '-o', 'Select', '-i', '42', '--json']);
    expect(missing.code).toBe(1);
    expect(one(missing.stdout)).toMatchObject({ op: 'Select', cardId: '42', ok: false, code: expect.any(Number), msg: expect.any(String) });
    const down = await cc.tool(['-X', '127.0.0.1:1', '-o', 'Select', '-i', '41', '--timeout', '2000', '--json']);
    expect(down.code).toBe(1);
    expect(one(down.stdout)).toMatchObject({ ok: false, code: 14 });
  }, 180_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Cluster, runNemesis, startCluster } from '../src/index.js';
import { echo, echoSpec } from './helpers/echo.js';

describe('runNemesis', () => {
  const clusters: Cluster[] = [];
  afterAll(async () => {
    for (const c of clusters) {
      await c.stop();
      fs.rmSync(c.dataDir, { recursive: true, force: true });
    }
  });

  async function cluster() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-nemesis-'));
    const c = await startCluster({ nodes: 5, spec: echoSpec(dataDir), readyWhen: /echo ready on/, dataDir, proxies: true });
    clusters.push(c);
    return c;
  }

  it('applies a seeded schedule of faults, never more than maxDown, and leaves every node up and healed', { timeout: 180_000 }, async () => {
    const c = await cluster();
    let worst = 0;
    const lines: string[] = [];
    const schedule = await runNemesis(
      c,
      { seed: 7, durationMs: 60_000, steps: 10, intervalMs: [50, 150], faults: ['kill', 'pause', 'partition', 'restart-wipe'], protect: [0] },
      (line) => {
        lines.push(line);
        const down = [0, 1, 2, 3, 4].filter((i) => !c.isUp(i) || c.isPaused(i)).length;
        worst = Math.max(worst, down);
      },
    );
    expect(schedule).toEqual(lines);
    expect(schedule.length).toBeGreaterThanOrEqual(6);
    expect(schedule.at(-1)).toMatch(/final heal/);
    expect(schedule.join('\n')).not.toMatch(/(kill|pause|wipe)[^\n]*\b0\b/);
    expect(worst).toBeLessThanOrEqual(2);
    for (let i = 0; i < 5; i++) {
      expect(c.isUp(i) && !c.isPaused(i)).toBe(true);
      for (let j = 0; j < 5; j++) if (i !== j) expect(await echo(c.link(i, j), `${i}${j}`)).toBe(`${i}${j}`);
    }

    // The same seed makes the same choices.
    const again = await runNemesis(c, { seed: 7, durationMs: 60_000, steps: 10, intervalMs: [50, 150], faults: ['kill', 'pause', 'partition', 'restart-wipe'], protect: [0] });
    const actions = (s: string[]) => s.map((l) => l.replace(/^\+\d+ms /, ''));
    expect(actions(again)).toEqual(actions(schedule));
  });
});

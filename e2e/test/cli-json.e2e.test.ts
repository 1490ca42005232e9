// --json on the client commands (issue 23, "--json output on client commands"): every client
// command of the five systems declares --json in its --help, and against a live 3-node cluster
// each one prints only JSON lines on stdout, with the fields a script needs. A client command
// that lacks the flag is listed in GAPS (its declaration check runs as an expected failure, so
// the day the flag lands the check turns red and the entry must go).
import { spawnSync } from 'node:child_process';
import { waitFor } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { addr, cli, firstStdoutLines, run, SERVERS, startThree, type SystemName } from './systemServers.js';

interface ClientCommand {
  name: string;
  system: SystemName;
  script: string;
  /** the arguments before --help / the command line's own arguments */
  sub: string[];
}

const CLIENTS: ClientCommand[] = [
  { name: 'card-tool', system: 'certain', script: cli('certain', 'card-tool'), sub: [] },
  { name: 'paxoskv set', system: 'paxoskv', script: cli('paxoskv', 'paxoskv'), sub: ['set'] },
  { name: 'paxoskv get', system: 'paxoskv', script: cli('paxoskv', 'paxoskv'), sub: ['get'] },
  { name: 'rrseq-client', system: 'rrseq', script: cli('rrseq', 'rrseq-client'), sub: [] },
  { name: 'rrseq-admin status', system: 'rrseq', script: cli('rrseq', 'rrseq-admin'), sub: ['status'] },
  { name: 'csp-paxos propose', system: 'csp-paxos', script: cli('csp-paxos', 'csp-paxos'), sub: ['propose'] },
  { name: 'csp-paxos read', system: 'csp-paxos', script: cli('csp-paxos', 'csp-paxos'), sub: ['read'] },
  { name: 'csp-paxos status', system: 'csp-paxos', script: cli('csp-paxos', 'csp-paxos'), sub: ['status'] },
];

const declares = (c: ClientCommand): boolean => {
  const r = spawnSync(process.execPath, [c.script, ...c.sub, '--help'], { encoding: 'utf8', timeout: 30_000 });
  return /^\s+--json\b/m.test(r.stdout);
};
// None today (card-tool's output is checked in certain-tool-json.e2e.test.ts).
const GAPS: Record<string, string> = {};

/** Every non-empty stdout line parsed as JSON; a line that is not JSON fails with the whole output. */
function jsonLines(out: string): Record<string, unknown>[] {
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON line: ${JSON.stringify(l)} in\n${out}`);
    }
  });
}

describe('client commands declare --json', () => {
  for (const c of CLIENTS) {
    (c.name in GAPS ? it.fails : it)(`${c.name} --help lists --json`, () => {
      expect(declares(c), `${c.name}: ${GAPS[c.name] ?? 'no --json in --help'}`).toBe(true);
    });
  }
});

describe('--json output against a live cluster', () => {
  it('paxoskv set / get print one JSON object each', async () => {
    const nodes = await startThree(SERVERS.paxoskv, 'json');
    try {
      const acceptors = ['--acceptors', nodes.ports.map((p) => addr(p[0]!)).join(',')];
      const set = run(cli('paxoskv', 'paxoskv'), ['set', 'jkey', '7', ...acceptors, '--json']);
      expect(set.code, set.out).toBe(0);
      const get = spawnSync(process.execPath, [cli('paxoskv', 'paxoskv'), 'get', 'jkey', ...acceptors, '--json'], { encoding: 'utf8', timeout: 60_000 });
      expect(get.status, get.stderr).toBe(0);
      const [g] = jsonLines(get.stdout);
      expect(JSON.stringify(g)).toMatch(/7/);
    } finally {
      await nodes.stop();
    }
  });

  it('rrseq-admin status and rrseq-client print JSON lines (IDs as strings, increasing)', async () => {
    const nodes = await startThree(SERVERS.rrseq, 'json');
    try {
      const { cluster, ports } = nodes;
      await cluster.waitFor(() => [0, 1, 2].every((i) => /^serving$/m.test(cluster.output(i))), { timeoutMs: 60_000, what: 'every rrseq server to print serving' });
      const st = spawnSync(process.execPath, [cli('rrseq', 'rrseq-admin'), 'status', addr(ports[0]![0]!), '--json'], { encoding: 'utf8', timeout: 60_000 });
      expect(st.status, st.stderr).toBe(0);
      expect(jsonLines(st.stdout)).toEqual([expect.objectContaining({ command: 'status', ok: true, message: expect.any(String) })]);
      const down = spawnSync(process.execPath, [cli('rrseq', 'rrseq-admin'), 'status', '127.0.0.1:1', '--json'], { encoding: 'utf8', timeout: 60_000 });
      expect(down.status).toBe(1);
      expect(jsonLines(down.stdout)).toEqual([expect.objectContaining({ ok: false, error: expect.any(String) })]);

      const out = (await firstStdoutLines(cli('rrseq', 'rrseq-client'), ['jseq', '0', '10', ...ports.map((p) => addr(p[0]!)), '--json'], 4, 60_000)).join('\n');
      const lines = jsonLines(out);
      expect(lines[0]).toEqual({ ready: true });
      const ids = lines.slice(1).map((l) => l.id);
      expect(ids.every((id) => typeof id === 'string' && /^\d+$/.test(id)), out).toBe(true);
      const big = ids.map((id) => BigInt(id as string));
      expect(big[1]! > big[0]! && big[2]! > big[1]!, out).toBe(true);
    } finally {
      await nodes.stop();
    }
  });

  it('csp-paxos propose / read / status print JSON', async () => {
    const nodes = await startThree(SERVERS['csp-paxos'], 'json');
    try {
      const clientPorts = nodes.ports.map((p) => String(p[0]));
      const prop = run(cli('csp-paxos', 'csp-paxos'), ['propose', 'jvalue', '-n', '3', '--ports', clientPorts.join(','), '--timeout-ms', '20000', '--json']);
      expect(prop.code, prop.out).toBe(0);
      const slot = spawnSync(process.execPath, [cli('csp-paxos', 'csp-paxos'), 'propose', 'jvalue2', '-n', '3', '--ports', clientPorts.join(','), '--timeout-ms', '20000', '--json'], { encoding: 'utf8', timeout: 60_000 });
      expect(slot.status, slot.stderr).toBe(0);
      expect(jsonLines(slot.stdout)).toEqual([expect.objectContaining({ slot: expect.any(Number) })]);
      // the proposing node has the entry once propose answered
      const readAt = async (): Promise<Record<string, unknown>[]> => {
        for (const port of clientPorts) {
          const r = spawnSync(process.execPath, [cli('csp-paxos', 'csp-paxos'), 'read', '--port', port, '--json'], { encoding: 'utf8', timeout: 60_000 });
          const lines = r.status === 0 ? jsonLines(r.stdout) : [];
          if (lines.some((l) => l.data === 'jvalue2')) return lines;
        }
        return [];
      };
      let entries: Record<string, unknown>[] = [];
      await waitFor(async () => (entries = await readAt()).length > 0, { timeoutMs: 30_000, intervalMs: 500, what: 'a node to read jvalue2 back' });
      expect(entries.every((e) => typeof e.slot === 'number' && 'key' in e && 'data' in e), JSON.stringify(entries)).toBe(true);
      const st = spawnSync(process.execPath, [cli('csp-paxos', 'csp-paxos'), 'status', '-n', '3', '--ports', clientPorts.join(','), '--json'], { encoding: 'utf8', timeout: 60_000 });
      expect(st.status, st.stderr).toBe(0);
      const nodesSeen = jsonLines(st.stdout);
      expect(nodesSeen).toHaveLength(1);
      expect(Array.isArray(nodesSeen[0]) ? nodesSeen[0] : nodesSeen, st.stdout).toHaveLength(3);
    } finally {
      await nodes.stop();
    }
  });
});

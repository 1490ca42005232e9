// The multi-host test's client, run inside the client network namespace (the test process
// itself stays in the machine's namespace and cannot reach 10.77.0.x). It reads one JSON
// request per line on stdin and answers one JSON line on stdout:
//   {"id": 1, "kind": "...", ...}  ->  {"id": 1, "ok": true, "value": ...} | {"id": 1, "ok": false, "error": "..."}
// Requests run concurrently; bigints travel as decimal strings. Clients are the packages'
// public APIs (built dist), kept open per address set so a cut host shows as a real timeout.
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { CardClient } from '@quorumkit/certain';
import { PaxosKvClient } from '@quorumkit/paxoskv';
import { RRSeq } from '@quorumkit/rrseq';
import { nodeStatus, propose } from '@quorumkit/csp-paxos';
import Redis from 'ioredis';

const clients = new Map();
function cached(key, make) {
  if (!clients.has(key)) clients.set(key, make());
  return clients.get(key);
}

const text = (b) => new TextDecoder().decode(b);

const handlers = {
  // certain: {addrs, method: InsertCard|UpdateCard|DeleteCard|SelectCard, cardId, card?, delta?, deadlineMs?}
  async card(r) {
    const c = cached(`card ${r.addrs.join(',')} ${r.deadlineMs ?? ''}`, () => new CardClient(r.addrs.map((a) => a ?? undefined), { deadlineMs: r.deadlineMs ?? 8_000 }));
    const input = { cardId: BigInt(r.cardId) };
    if (r.card) input.card = { userName: new TextEncoder().encode(r.card.userName), userId: BigInt(r.card.userId), balance: BigInt(r.card.balance) };
    if (r.delta !== undefined) input.delta = BigInt(r.delta);
    const reply = await c.call(r.method, input);
    return {
      ok: reply.ok,
      code: reply.code,
      msg: reply.msg,
      card: reply.card ? { userName: text(reply.card.userName), userId: String(reply.card.userId), balance: String(reply.card.balance) } : undefined,
    };
  },
  // paxoskv: {acceptors, op: set|get, key, value?, clusterId?}
  async kv(r) {
    const c = cached(`kv ${r.acceptors.join(',')} ${r.clusterId ?? ''}`, () => new PaxosKvClient({ acceptors: r.acceptors, deadlineMs: r.deadlineMs ?? 8_000, phaseTimeoutMs: 1_500, ...(r.clusterId ? { clusterId: r.clusterId } : {}) }));
    if (r.op === 'set') {
      const s = await c.set(r.key, r.value);
      return { written: s.written, ver: String(s.ver), value: String(s.value) };
    }
    const g = await c.get(r.key);
    return g ? { ver: String(g.ver), value: String(g.value) } : null;
  },
  // rrseq: {addrs, name, bufSize, count, timeoutMs?}: the next `count` IDs of one client (one RRSeq per name+client)
  async ids(r) {
    const s = cached(`seq ${r.client} ${r.name} ${r.addrs.join(',')}`, () => new RRSeq(r.name, r.bufSize, r.addrs));
    const out = [];
    for (let k = 0; k < r.count; k++) out.push(String(await s.next({ timeoutMs: r.timeoutMs ?? 15_000 })));
    return out;
  },
  // constdb: {host, port, password?, args: [cmd, ...]}
  async redis(r) {
    const c = cached(`redis ${r.host}:${r.port}`, () => new Redis({ host: r.host, port: r.port, password: r.password, lazyConnect: false, maxRetriesPerRequest: 1, connectTimeout: 3_000, retryStrategy: () => 200 }));
    const reply = await c.call(...r.args);
    return reply === null ? null : Array.isArray(reply) ? reply.map(String) : String(reply);
  },
  // csp-paxos: {hosts, port, data, timeoutMs?}: tries node after node (a cut or recovering one fails over)
  async propose(r) {
    const deadline = Date.now() + (r.timeoutMs ?? 20_000);
    let last;
    for (let k = 0; Date.now() < deadline; k++) {
      const host = r.hosts[k % r.hosts.length];
      try {
        return await propose(r.data, { ports: [r.port], host, timeoutMs: Math.min(4_000, deadline - Date.now()), attemptMs: 3_000 });
      } catch (e) {
        last = e;
      }
    }
    throw last ?? new Error('propose: deadline passed');
  },
  // {host, port, timeoutMs}: 'open', 'refused' (the host answered: reachable) or the error code
  connect(r) {
    return new Promise((resolve) => {
      const s = connect({ host: r.host, port: r.port });
      const done = (v) => {
        clearTimeout(t);
        s.destroy();
        resolve(v);
      };
      const t = setTimeout(() => done('timeout'), r.timeoutMs ?? 3_000);
      s.once('connect', () => done('open'));
      s.once('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? e.message)));
    });
  },
  async cspStatus(r) {
    return await nodeStatus(r.port, r.host);
  },
};

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    process.stdout.write(JSON.stringify({ id: -1, ok: false, error: `bad request line: ${line.slice(0, 200)}` }) + '\n');
    return;
  }
  const h = handlers[req.kind];
  const run = h ? h(req) : Promise.reject(new Error(`unknown kind ${req.kind}`));
  run.then(
    (value) => process.stdout.write(JSON.stringify({ id: req.id, ok: true, value }) + '\n'),
    (e) => process.stdout.write(JSON.stringify({ id: req.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), code: e?.code }) + '\n'),
  );
});
// The test closes stdin to stop the agent; everything it opened goes with the process.
rl.on('close', () => process.exit(0));
process.stdout.write(JSON.stringify({ id: 0, ok: true, value: 'agent ready' }) + '\n');

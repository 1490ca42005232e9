#!/usr/bin/env node
// qk-probe: health checks for compose healthchecks and scripts (Kubernetes uses its own
// grpc/tcpSocket probes). Exit 0 = healthy, 1 = not, 2 = usage.
//   qk-probe grpc HOST:PORT [SERVICE]   grpc.health.v1 Check: SERVING (SERVICE '' = the whole server)
//   qk-probe tcp  HOST:PORT             a TCP connection is accepted (csp-paxos client port)
//   qk-probe resp HOST:PORT             PING answers PONG (constdb; AUTH with $QK_REQUIREPASS if set)
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { respCommands, splitAddr } from './resp.mjs';

const require = createRequire(import.meta.url);

export async function grpcHealth(addr, service = '', timeoutMs = 3_000) {
  const grpc = require('@grpc/grpc-js');
  const loader = require('@grpc/proto-loader');
  const proto = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto', 'health', 'v1', 'health.proto');
  const def = grpc.loadPackageDefinition(loader.loadSync(proto, { keepCase: true, enums: String }));
  const client = new def.grpc.health.v1.Health(addr, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.Check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res.status))),
    );
  } finally {
    client.close();
  }
}

export function tcpOpen(addr, timeoutMs = 3_000) {
  const { host, port } = splitAddr(addr);
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function respPing(addr, password, timeoutMs = 3_000) {
  const replies = await respCommands(addr, [...(password ? [['AUTH', password]] : []), ['PING']], timeoutMs);
  const bad = replies.find((r) => r instanceof Error);
  return bad ? bad.message : replies[replies.length - 1];
}

async function main() {
  const [kind, addr, service] = process.argv.slice(2);
  if (!addr || !['grpc', 'tcp', 'resp'].includes(kind)) {
    process.stderr.write('usage: qk-probe grpc|tcp|resp HOST:PORT [SERVICE]\n');
    process.exit(2);
  }
  try {
    if (kind === 'grpc') {
      const status = await grpcHealth(addr, service ?? '');
      process.stdout.write(`${addr}${service ? ` ${service}` : ''}: ${status}\n`);
      process.exit(status === 'SERVING' ? 0 : 1);
    }
    if (kind === 'tcp') {
      const ok = await tcpOpen(addr);
      process.stdout.write(`${addr}: ${ok ? 'accepts connections' : 'not answering'}\n`);
      process.exit(ok ? 0 : 1);
    }
    const reply = await respPing(addr, process.env.QK_REQUIREPASS);
    process.stdout.write(`${addr}: ${reply}\n`);
    process.exit(reply === 'PONG' ? 0 : 1);
  } catch (e) {
    process.stdout.write(`${addr}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) void main();

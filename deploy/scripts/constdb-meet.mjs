#!/usr/bin/env node
// constdb-meet NODE PEER [PEER...]: joins a constdb node to its peers (MEET, once per peer),
// as an operator does once when a cluster is created or a node is added. The password
// (requirepass, shared by every node) comes from $QK_REQUIREPASS, never from the command line.
// Exit 0 when every MEET answered 1/OK, 1 otherwise (each failure on its own line).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RespError, respCommands } from './resp.mjs';

export async function meet(node, peers, password, timeoutMs = 30_000) {
  const auth = password ? [['AUTH', password]] : [];
  const failures = [];
  for (const peer of peers) {
    const replies = await respCommands(node, [...auth, ['MEET', peer]], timeoutMs).catch((e) => [e]);
    const last = replies[replies.length - 1];
    const authErr = replies.slice(0, auth.length).find((r) => r instanceof Error);
    if (authErr) failures.push(`${node}: AUTH refused: ${authErr.message}`);
    else if (last instanceof Error) failures.push(`${node}: MEET ${peer}: ${last.message}`);
    else if (!(last === 1 || last === 'OK')) failures.push(`${node}: MEET ${peer} answered ${JSON.stringify(last)}`);
  }
  return failures;
}

async function main() {
  const [node, ...peers] = process.argv.slice(2);
  if (!node || peers.length === 0) {
    process.stderr.write('usage: constdb-meet NODE_HOST:PORT PEER_HOST:PORT [...]   (password from $QK_REQUIREPASS)\n');
    process.exit(2);
  }
  const failures = await meet(node, peers, process.env.QK_REQUIREPASS).catch((e) => [e instanceof RespError ? e.message : String(e)]);
  for (const f of failures) process.stderr.write(`constdb-meet: ${f}\n`);
  if (failures.length === 0) process.stdout.write(`constdb-meet: ${node} met ${peers.join(' ')}\n`);
  process.exit(failures.length ? 1 : 0);
}

if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) void main();

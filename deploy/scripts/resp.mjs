// A minimal RESP client for the deploy scripts (no dependency): one connection, commands
// in order, each reply parsed as far as these scripts need (simple, error, integer, bulk).
import { connect } from 'node:net';

export class RespError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RespError';
  }
}

export function splitAddr(addr) {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new RespError(`bad address "${addr}": want host:port`);
  return { host: addr.slice(0, i), port };
}

const encode = (args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;

/** One reply from the front of buf: { value, rest } or undefined when incomplete. */
export function parseReply(buf) {
  const eol = buf.indexOf('\r\n');
  if (eol < 0) return undefined;
  const head = buf.subarray(0, eol).toString();
  const rest = buf.subarray(eol + 2);
  switch (head[0]) {
    case '+':
      return { value: head.slice(1), rest };
    case '-':
      return { value: new RespError(head.slice(1)), rest };
    case ':':
      return { value: Number(head.slice(1)), rest };
    case '$': {
      const len = Number(head.slice(1));
      if (len < 0) return { value: null, rest };
      if (rest.length < len + 2) return undefined;
      return { value: rest.subarray(0, len).toString(), rest: rest.subarray(len + 2) };
    }
    default:
      throw new RespError(`unexpected reply type ${JSON.stringify(head.slice(0, 20))}`);
  }
}

/** Sends each command in turn; resolves with the replies (errors as RespError values). */
export function respCommands(addr, commands, timeoutMs = 5_000) {
  const { host, port } = splitAddr(addr);
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const replies = [];
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      s.destroy();
      reject(new RespError(`${addr}: no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('error', (e) => {
      clearTimeout(t);
      reject(new RespError(`${addr}: ${e.message}`));
    });
    s.on('connect', () => s.write(commands.map(encode).join('')));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (let r = parseReply(buf); r; r = parseReply(buf)) {
        replies.push(r.value);
        buf = r.rest;
      }
      if (replies.length >= commands.length) {
        clearTimeout(t);
        s.end();
        resolve(replies);
      }
    });
  });
}

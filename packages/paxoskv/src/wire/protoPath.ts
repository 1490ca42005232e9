// Where proto/paxoskv.proto is, whether this code runs from src/ (tests), from the
// bundled dist/ (CLI, bench) or from an installed package.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function findProto(): string {
  const candidates = ['../proto/paxoskv.proto', '../../proto/paxoskv.proto', '../../../proto/paxoskv.proto'];
  for (const c of candidates) {
    const p = fileURLToPath(new URL(c, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`paxoskv.proto not found near ${fileURLToPath(import.meta.url)}`);
}

/** Absolute path of the wire contract (the seed's proto plus additions). */
export const PROTO_PATH = findProto();
export const SERVICE_NAME = 'paxoskv.PaxosKV';
/** The seed's acceptor ports: 3333 + acceptor id. */
export const ACCEPTOR_BASE_PORT = 3333;

export function defaultAcceptorAddress(id: number): string {
  return `127.0.0.1:${ACCEPTOR_BASE_PORT + id}`;
}

import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ClusterOptions } from '../../src/index.js';

export const echoScript = fileURLToPath(new URL('../fixtures/echo.mjs', import.meta.url));

export function echoSpec(dataDir: string, extra: string[] = []): ClusterOptions['spec'] {
  return (i, ports) => ({
    command: process.execPath,
    args: [echoScript, '--port', String(ports[i]![0]), '--dir', `${dataDir}/node${i}`, ...extra],
  });
}

/**
 * Sends `text` on a fresh connection and resolves with what came back once `complete` says it
 * is whole, or undefined when it is not within waitMs (or the connection fails).
 */
export function exchange(port: number, text: string, complete: (got: string) => boolean, waitMs = 10_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      got += d.toString();
      if (complete(got)) done(got);
    });
    s.on('error', () => done(undefined));
  });
}

/** Sends `text` and resolves with the echo, or undefined when nothing comes back within waitMs. */
export function echo(port: number, text: string, waitMs = 10_000): Promise<string | undefined> {
  return exchange(port, text, (got) => got.length >= text.length, waitMs);
}

/** A zombie (exited, not yet reaped by its re-parent) counts as gone. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function pidState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

// Test side of agent.mjs: starts it inside the client namespace and sends it requests.
// Every request has a deadline; stop() ends the agent (and a SIGKILL follows if it lingers).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Hosts } from './netns.js';

const AGENT = fileURLToPath(new URL('./agent.mjs', import.meta.url));

export class AgentError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class Agent {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderr = '';
  private exited = false;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-4000);
    });
    child.on('exit', (code, sig) => {
      this.exited = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`agent exited (${code ?? sig}); stderr: ${this.stderr.slice(-600)}`));
      }
      this.pending.clear();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg: { id: number; ok: boolean; value?: unknown; error?: string; code?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return; // a stray library line on stdout; replies are JSON
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new AgentError(msg.error ?? 'unknown error', msg.code));
    });
  }

  /** An agent inside the client namespace (host -1, default) or inside node `host`'s own. */
  static async start(hosts: Hosts, host = -1): Promise<Agent> {
    const child = spawn('ip', [...hosts.exec(host), process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const agent = new Agent(child);
    const ready = new Promise<void>((resolve, reject) => {
      agent.pending.set(0, { resolve: () => resolve(), reject, timer: setTimeout(() => reject(new Error(`agent not ready after 60 s; stderr: ${agent.stderr}`)), 60_000) });
    });
    await ready;
    return agent;
  }

  call<T = unknown>(kind: string, req: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`agent is gone; stderr: ${this.stderr.slice(-600)}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentError(`agent request ${kind} had no answer within ${timeoutMs} ms`, 'AGENT_TIMEOUT'));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.stdin.write(JSON.stringify({ id, kind, ...req }) + '\n');
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5_000);
    await gone;
    clearTimeout(t);
  }
}

import fs from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { ClusterError } from '../errors.js';
import { trackGroup, untrackGroup } from './reaper.js';

export interface NodeSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

const OUTPUT_MAX = 8 * 1024 * 1024;

/**
 * One node's successive incarnations: a child process in its own process group, with its
 * stdout and stderr appended to a log file and kept in memory.
 */
export class NodeProcess {
  private child: ResultPromise | undefined;
  private exited: Promise<void> | undefined;
  private text = '';
  private incarnationStart = 0;
  private starts = 0;
  paused = false;
  lastExit: { code?: number; signal?: string } | undefined;

  constructor(
    readonly index: number,
    readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  output(): string {
    return this.text;
  }

  /** Output of the current (or last) incarnation only. */
  currentOutput(): string {
    return this.text.slice(this.incarnationStart);
  }

  private append(s: string): void {
    this.text += s;
    if (this.text.length > OUTPUT_MAX) {
      const cut = this.text.length - OUTPUT_MAX / 2;
      this.text = this.text.slice(cut);
      this.incarnationStart = Math.max(0, this.incarnationStart - cut);
    }
  }

  spawn(spec: NodeSpec): void {
    if (this.child) throw new ClusterError('NODE_RUNNING', `node ${this.index} is already running (pid ${this.child.pid})`);
    this.starts++;
    const header = `\n--- node ${this.index} start #${this.starts}: ${spec.command} ${spec.args.join(' ')} ---\n`;
    this.incarnationStart = this.text.length;
    const log = fs.createWriteStream(this.logFile, { flags: 'a' });
    log.on('error', () => undefined); // a log file problem must not crash the test process
    log.write(header);
    const child = execa(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: true,
      detached: true, // own process group: we kill the whole tree with kill(-pgid)
      cleanup: false, // our reaper does this for the whole group
      reject: false,
      buffer: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const pid = child.pid;
    if (pid === undefined) {
      log.end();
      throw new ClusterError('SPAWN_FAILED', `node ${this.index}: could not spawn ${spec.command}`);
    }
    trackGroup(pid);
    this.child = child;
    this.paused = false;
    const onData = (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      this.append(s);
      if (!log.writableEnded) log.write(s);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = child.then(
      (r) => {
        this.lastExit = { code: r.exitCode, signal: r.signal };
      },
      (err: unknown) => {
        this.lastExit = { signal: String(err) };
      },
    ).finally(() => {
      // Anything left in the group (grandchildren) goes with the leader.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // group already empty
      }
      untrackGroup(pid);
      if (this.child === child) this.child = undefined;
      this.paused = false;
      log.end(`--- node ${this.index} exited ${JSON.stringify(this.lastExit)} ---\n`);
    });
  }

  signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) throw new ClusterError('NODE_DOWN', `node ${this.index} is not running`);
    try {
      process.kill(-pid, sig);
    } catch {
      // exiting already
    }
  }

  /** Signal the group and wait for the leader to exit (escalating to SIGKILL after graceMs). */
  async kill(sig: NodeJS.Signals = 'SIGKILL', graceMs = 10_000): Promise<void> {
    const exited = this.exited;
    if (!this.child || !exited) return;
    this.signal(sig);
    if (sig !== 'SIGKILL' && this.paused) this.signal('SIGCONT'); // a stopped process cannot handle SIGTERM
    let timer: NodeJS.Timeout | undefined;
    const escalated = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.child) this.signal('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, escalated]);
    clearTimeout(timer);
    await exited;
  }

  /** Resolves when the current incarnation exits. */
  whenExited(): Promise<void> {
    return this.exited ?? Promise.resolve();
  }
}

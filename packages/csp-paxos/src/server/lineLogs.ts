// A node's two line logs: instancelog<i>.log (the seed's generate and commit lines; the leader
// and consensus processors each write through their own descriptor, so lines never interleave)
// and values<i>.log (the payloads of committed client values, written with their commit lines).
// Both are cut at the learner's base together, after the base itself is durable.
import type { KeySeen, LogLine } from '../core/types.js';
import { InstanceLogWriter, instanceLogPath, truncateInstanceLog } from '../storage/instanceLog.js';
import { logBasePath, writeLogBase } from '../storage/logBase.js';
import { ValueLogWriter, truncateValueLog, valueLogPath } from '../storage/valueLog.js';

export class LineLogs {
  private readonly logDir: string;
  private readonly id: number;
  private readonly writers: Record<'leader' | 'consensus', InstanceLogWriter>;
  private readonly values: ValueLogWriter;

  constructor(logDir: string, id: number) {
    this.logDir = logDir;
    this.id = id;
    const path = instanceLogPath(logDir, id);
    this.writers = { leader: new InstanceLogWriter(path), consensus: new InstanceLogWriter(path) };
    this.values = new ValueLogWriter(valueLogPath(logDir, id));
  }

  /** A turn's lines, stamped now; the learner's commit lines also put their payloads in the values log. */
  write(from: 'leader' | 'consensus', lines: LogLine[], atMs: number): void {
    this.writers[from].write(lines, atMs);
    if (from === 'consensus') this.values.write(lines);
  }

  /**
   * The learner dropped everything below `base`: record the base durably first (with the dedup
   * window's keys), then cut both logs there and reopen every writer. Synchronous, so no
   * processor writes in between. Throws when the disk fails (the node then stops).
   */
  truncate(base: number, keys: KeySeen[]): void {
    writeLogBase(logBasePath(this.logDir, this.id), base, keys);
    truncateInstanceLog(instanceLogPath(this.logDir, this.id), base);
    truncateValueLog(valueLogPath(this.logDir, this.id), base);
    this.writers.leader.reopen();
    this.writers.consensus.reopen();
    this.values.reopen();
  }

  close(): void {
    this.writers.leader.close();
    this.writers.consensus.close();
    this.values.close();
  }
}

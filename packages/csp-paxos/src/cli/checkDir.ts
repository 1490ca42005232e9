// Reads instancelog<i>.log of every node in a directory and checks rules 1-3.
import { existsSync, readFileSync } from 'node:fs';
import { type CheckOptions, checkLogs, parseInstanceLog, type CheckResult, type ParsedLog } from '../core/check.js';
import { instanceLogPath } from '../storage/instanceLog.js';
import { logBasePath, readLogBase } from '../storage/logBase.js';

export function readLogs(logDir: string, nodes: number): ParsedLog[] {
  return Array.from({ length: nodes }, (_, i) => {
    const p = instanceLogPath(logDir, i);
    return parseInstanceLog(i, existsSync(p) ? readFileSync(p, 'utf8') : '', readLogBase(logBasePath(logDir, i)).base);
  });
}

export function checkDir(logDir: string, nodes: number, opts: CheckOptions = {}): CheckResult {
  return checkLogs(readLogs(logDir, nodes), opts);
}

// What a node starts from: its identity record, acceptor log, log base, instance and values
// logs, and the disk verdict (does it vote, or re-learn first). The new incarnation and the
// verdict are written durably before the node listens, so the next start sees them.
import { join } from 'node:path';
import { type AcceptorState, applyRecord } from '../core/acceptor.js';
import { type Verdict, judgeDisk } from '../core/identity.js';
import { CORE_DEFAULTS, type CoreConfig, type Entry, type KeySeen } from '../core/types.js';
import { AcceptorLog } from '../storage/acceptorLog.js';
import { IdentityMismatch, nextIncarnation, readIdentity, writeIdentity } from '../storage/identity.js';
import { instanceLogPath, recoverCommitted } from '../storage/instanceLog.js';
import { logBasePath, readLogBase } from '../storage/logBase.js';
import { recoverValues, valueLogPath } from '../storage/valueLog.js';
import type { NodeOptions } from './nodeOptions.js';

export interface RestoredNode {
  /** The core config, with this start's incarnation. */
  cfg: CoreConfig;
  dataDir: string;
  acceptorState: AcceptorState;
  acceptorLog: AcceptorLog;
  /** Committed entries from `logBase` on (payloads put back from the values log). */
  committed: Entry[];
  logBase: number;
  /** The dedup window's client keys saved with the base. */
  logKeys: KeySeen[];
  commitIndex: number;
  verdict: Verdict;
  incarnation: number;
}

export async function restoreNode(opts: NodeOptions): Promise<RestoredNode> {
  const n = opts.committee.length;
  const cfg: CoreConfig = { ...CORE_DEFAULTS, ...opts.core, id: opts.id, n };
  const dataDir = opts.dataDir ?? join(opts.logDir, `data${opts.id}`);
  const identity = await readIdentity(dataDir);
  if (identity.record && identity.record.replica !== opts.id) throw new IdentityMismatch(`${dataDir} belongs to replica ${identity.record.replica}, not ${opts.id}`);
  const acceptorState: AcceptorState = { promised: -1, accepted: [] };
  const opened = AcceptorLog.open(join(dataDir, 'acceptor.log'), (r) => applyRecord(acceptorState, r), { ...opts.acceptorLog, fsync: opts.fsync ?? true });
  const { base: logBase, keys: logKeys } = readLogBase(logBasePath(opts.logDir, opts.id));
  const committed = recoverCommitted(instanceLogPath(opts.logDir, opts.id), logBase);
  recoverValues(valueLogPath(opts.logDir, opts.id), committed, logBase);
  const commitIndex = logBase + committed.length;
  const verdict = judgeDisk({
    identity: identity.state,
    acceptorLogExists: opened.existed,
    acceptorRecords: opened.records,
    acceptorDamaged: opened.damaged,
    recoveredMarker: acceptorState.recovered === true,
    committed: commitIndex,
    bootstrap: opts.bootstrap ?? false,
  });
  const incarnation = nextIncarnation(identity.record?.incarnation, Date.now());
  // Durable before anything is sent: the next start sees this incarnation and this verdict.
  writeIdentity(dataDir, { v: 1, replica: opts.id, incarnation, state: verdict.vote ? 'voter' : 'recovering' });
  cfg.incarnation = incarnation;
  return { cfg, dataDir, acceptorState, acceptorLog: opened.log, committed, logBase, logKeys, commitIndex, verdict, incarnation };
}

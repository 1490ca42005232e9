// Disk faults for real-process runs (wipe, corrupt) and the acknowledged-writes checker.
export {
  DiskFaultError,
  corruptDir,
  deleteFiles,
  describeChanges,
  flipBytes,
  listFiles,
  truncateFile,
  wipeDir,
} from './diskFaults.js';
export type { CorruptOptions, DiskChange, DiskFaultGuard, FlipOptions, TruncateOptions } from './diskFaults.js';
export { checkAckedInLog, checkAckedKeysKept, checkCounterBounds } from '../checkers/ackedWrites.js';
export type { AckedCheckResult, AckedInLogOptions, AckedKeysOptions, CounterBoundsOptions } from '../checkers/ackedWrites.js';
export { NemesisError } from '../nemesis.js';
export type { CorruptMatch, OnRefusedStart } from '../nemesis.js';

// Public API of @quorumkit/shared-storage. Every module re-exported whole is public by design.
export * from './errors.js';
export * from './keys.js';
export * from './store.js';
export { crc32, crc32IsNative, crc32Table } from './crc32.js';
export { GROUP_COMMIT_DEFAULTS, GroupCommitWriter, type GroupCommitOptions } from './groupCommit.js';
export {
  ATOMIC_FILE_HEADER_BYTES,
  ATOMIC_FILE_MAGIC,
  ATOMIC_FILE_PAYLOAD_BYTES_MAX,
  ATOMIC_FILE_VERSION,
  atomicTempPath,
  writeFileAtomicSync,
  frameFile,
  fsyncDirectory,
  readFileChecked,
  replaceFileDurably,
  unframeFile,
  writeFileAtomic,
} from './atomicFile.js';
export { RECORD_HEADER_BYTES, decodeJson, encodeJson, openRecord, sealRecord } from './values.js';
export { crc32c, maskCrc } from './crc32c.js';
export { verifyLevelDbDir, verifyLogBytes, verifyTableBytes, type LevelDirKind, type LevelDirReport } from './levelVerify.js';
export {
  IDENTITY_FILE,
  IDENTITY_NAME_BYTES_MAX,
  bumpIncarnation,
  createIdentity,
  identityPath,
  readIdentity,
  type ReplicaIdentity,
} from './identity.js';
export {
  checkStoreMarker,
  inspectReplicaDir,
  storeMarkerOp,
  type ReplicaLayout,
  type ReplicaState,
  type ReplicaStateKind,
  type StoreMarkerCheck,
} from './integrity.js';
export { openReplica, type OpenReplicaOptions, type OpenedReplica, type ReplicaDecision } from './openReplica.js';

export * from './types.js';
export * from './messages.js';
export { EntryMachine, type EntryConfig, type Step } from './entryMachine.js';
export {
  EntityCore, type ReplicaConfig, defaultReplicaConfig, type Effects, type PersistOp, type Outbound,
  emptyEffects, mergeEffects,
} from './entity.js';
export { Recovery, horizonPage, type RecoveryConfig } from './recovery.js';

// Exhaustive small-scope explorer for pure protocol cores (see docs/harness-api.md).
export { explore, formatExploreResult, transcriptOf } from './explore.js';
export type { ExploreModel, ExploreOptions, ExploreResult, Invariant, Violation } from './explore.js';
export { MessageWorld, messageWorld } from './messageWorld.js';
export type { Envelope, Flight, NodeSlot, Out, PendingPersist, World, WorldAction, WorldBounds, WorldSpec } from './worldTypes.js';
export { ackedAreChosen, atMostOneChosen, worldInvariant, type InstanceValue } from './invariants.js';
export { modelAfter, runSchedule, type FlightMatch, type ScheduleResult, type ScheduleStep } from './schedule.js';
export { cloneDeep, stableStringify } from './clone.js';

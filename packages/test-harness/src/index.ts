// Public API of @quorumkit/test-harness (contract: docs/harness-api.md).
export { HarnessError, SimFailure, HistoryError, ClusterError, TimeoutError } from './errors.js';

export { History } from './history/history.js';
export type { Operation, OpHandle, OpStatus, HistoryOptions } from './history/history.js';

export { registerModel, kvModel, counterModel, setModel, cardModel, stableKey, valuesEqual } from './checkers/models.js';
export type { Model, Card } from './checkers/models.js';
export { checkLinearizable, describeOp } from './checkers/linearizable.js';
export type { LinearizableResult, LinearizableOptions } from './checkers/linearizable.js';

export { simulate } from './sim/simulate.js';
export { runSeeds } from './sim/runSeeds.js';
export type { RunSeedsOptions } from './sim/runSeeds.js';
export { Prng } from './sim/prng.js';
export { MemorySimStorage } from './sim/simStorage.js';
export type { SimStorage } from './sim/simStorage.js';
export type { SimContext, SimNode, SimFaults, SimOptions, SimWorld, SimStats } from './sim/types.js';

export { checkUniqueIncreasing } from './checkers/unique.js';
export type { UniqueIncreasingResult } from './checkers/unique.js';
export { checkConverged } from './checkers/converged.js';
export { checkLogPrefix } from './checkers/logPrefix.js';
export type { CommitLog, LogPrefixResult, LogPrefixOptions } from './checkers/logPrefix.js';

export { freePorts } from './cluster/freePorts.js';
export { startCluster, stopAllClusters } from './cluster/cluster.js';
export type { Cluster, ClusterOptions, LinkFn } from './cluster/cluster.js';
export type { NodeSpec } from './cluster/nodeProcess.js';
export { waitFor } from './cluster/waitFor.js';
export { portOpen } from './cluster/probes.js';
export type { WaitForOptions } from './cluster/waitFor.js';
export { FaultProxy } from './proxy/faultProxy.js';
export type { BlockDirection } from './proxy/faultProxy.js';
export { runNemesis } from './nemesis.js';
export type { NemesisOptions, NemesisFault } from './nemesis.js';

export { historyHtml, writeHistoryHtml } from './report/historyHtml.js';
export type { HistoryHtmlOptions } from './report/historyHtml.js';

// Bench plumbing (benches only; tests use startCluster)
export { benchTempDir, commandExists, killProcesses, startReadyProcess } from './bench/procs.js';
export { etcdInstalled, startEtcd, type Etcd, type StartEtcdOptions } from './bench/etcdAnchor.js';

// Exhaustive explorer (src/explore/) and disk faults + acked-writes checker (src/faults/).
export * from './explore/index.js';
export * from './faults/index.js';

// Test certificates (openssl at test time) for TLS tests.
export { createTestCa, makeTestPki, opensslAvailable, CertError } from './certs.js';
export type { TestCa, TestCert, TestPki, IssueOptions } from './certs.js';

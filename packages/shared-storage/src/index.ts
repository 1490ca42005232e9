// Public API of @quorumkit/shared-storage. Filled in by the shared-storage issue.
export {};

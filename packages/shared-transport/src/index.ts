// Public API of @quorumkit/shared-transport. Filled in by the shared-transport issue.
export {};

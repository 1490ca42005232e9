// Public API of @quorumkit/paxoskv. Filled in by the paxoskv issue.
export {};

// Public API of @quorumkit/constdb. Filled in by the constdb issue.
export {};

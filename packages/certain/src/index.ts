// Public API of @quorumkit/certain. Filled in by the certain issue.
export {};

// Public API of @quorumkit/test-harness. Filled in by the test-harness issue.
export {};

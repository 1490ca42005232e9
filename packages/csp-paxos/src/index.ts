// Public API of @quorumkit/csp-paxos. Filled in by the csp-paxos issue.
export {};

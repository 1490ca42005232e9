// Public API of @quorumkit/rrseq. Filled in by the rrseq issue.
export {};

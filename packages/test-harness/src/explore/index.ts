// Exhaustive small-scope explorer for pure protocol cores (see docs/harness-api.md).
export {};

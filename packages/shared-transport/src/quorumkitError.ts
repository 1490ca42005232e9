// Temporary local base with the same shape as @quorumkit/shared-storage's QuorumkitError
// (constructor(code, message, options)); replaced by a re-export once that package lands.
export class QuorumkitError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

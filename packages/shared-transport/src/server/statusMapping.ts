// Thrown errors <-> gRPC statuses. A QuorumkitError's code travels in trailing metadata
// `x-quorumkit-code` so the client can rebuild an error with the same code.
import * as grpc from '@grpc/grpc-js';
import { CancelledError, DeadlineError, QuorumkitError, RemoteError, UnavailableError } from '../errors.js';

export const CODE_METADATA_KEY = 'x-quorumkit-code';

function statusFor(e: unknown): grpc.status {
  if (e instanceof DeadlineError) return grpc.status.DEADLINE_EXCEEDED;
  if (e instanceof CancelledError) return grpc.status.CANCELLED;
  const explicit = (e as { grpcCode?: unknown } | null)?.grpcCode;
  if (typeof explicit === 'number' && explicit > 0 && explicit <= 16) return explicit;
  if (e instanceof QuorumkitError) return grpc.status.FAILED_PRECONDITION;
  return grpc.status.UNKNOWN;
}

/** Server side: any thrown value -> a status with details and (for coded errors) metadata. */
export function errorToStatus(e: unknown): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0 && code.length <= 64) metadata.set(CODE_METADATA_KEY, code);
  const details = e instanceof Error ? e.message : String(e);
  const err = new Error(details) as grpc.ServiceError;
  err.code = statusFor(e);
  err.details = details;
  err.metadata = metadata;
  return err;
}

/** Client side: a grpc-js ServiceError -> a named QuorumkitError. */
export function statusToError(err: grpc.ServiceError, method: string): QuorumkitError {
  const remoteCode = err.metadata?.get(CODE_METADATA_KEY)[0];
  const details = err.details || err.message;
  if (typeof remoteCode === 'string') {
    if (remoteCode === 'EDEADLINE' && err.code === grpc.status.DEADLINE_EXCEEDED) return new DeadlineError(`${method}: ${details}`);
    return new RemoteError(`${method}: ${details}`, err.code, remoteCode);
  }
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new DeadlineError(`${method}: deadline exceeded (${details})`);
    case grpc.status.CANCELLED:
      return new CancelledError(`${method}: ${details}`);
    case grpc.status.UNAVAILABLE:
      return new UnavailableError(`${method}: ${details}`, err.code);
    default:
      return new RemoteError(`${method}: ${details}`, err.code, undefined);
  }
}

// GRPCAdmin(AdminRequest{command, floor}): the operator's commands (rrseq-admin) by name,
// with the argument checks that need no server state.
import { toBigInt } from '@quorumkit/shared-transport';
import { ID_MAX, type AdminResult } from '../core/index.js';

export interface AdminTarget {
  init(): Promise<AdminResult>;
  forceRecover(floor: bigint): Promise<AdminResult>;
  status(): AdminResult;
}

/** A force-recover floor outside 1..ID_MAX-1, as the refusal to send back ('' when valid). */
export function floorProblem(floor: bigint): string {
  return floor < 1n || floor >= ID_MAX ? `EINVAL: floor must be in 1..${ID_MAX - 1n}` : '';
}

export async function adminCommand(target: AdminTarget, req: { command: string; floor: string }): Promise<AdminResult> {
  switch (req.command) {
    case 'init':
      return target.init();
    case 'force-recover': {
      let floor: bigint;
      try {
        floor = toBigInt(req.floor);
      } catch {
        return { ok: false, message: 'EINVAL: floor is not a number' };
      }
      return target.forceRecover(floor);
    }
    case 'status':
      return target.status();
    default:
      return { ok: false, message: `EINVAL: unknown command "${String(req.command)}" (init, force-recover, status)` };
  }
}

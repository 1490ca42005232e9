// The library entry point: a Certain replica on the default gRPC transport unless another
// transport is given. Lives outside the engine so the engine never imports a transport.
import { Certain, type CertainOptions } from './engine/certain.js';
import type { TransportFactory } from './engine/transport.js';
import { grpcTransport } from './server/transport.js';
import { BadConfigError } from './errors.js';

export type CreateCertainOptions = Omit<CertainOptions, 'transport'> & { transport?: TransportFactory };

export async function createCertain(opts: CreateCertainOptions): Promise<Certain> {
  if (!opts.transport && !opts.route && (!opts.peers || opts.peers.length !== opts.acceptorNum)) {
    throw new BadConfigError(`peers must list ${opts.acceptorNum} addresses`);
  }
  const c = new Certain({ ...opts, transport: opts.transport ?? grpcTransport });
  await c.start();
  return c;
}

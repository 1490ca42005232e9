// Loading .proto files: one set of options for the whole project so 64-bit fields are never
// rounded through number (longs: String) and enums/defaults/oneofs look the same everywhere.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ProtoError } from '../errors.js';

// Field names are camelCased (proto-loader's default: `proposal_id` -> `proposalId`).
export const protoLoaderOptions: protoLoader.Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const definitions = new Map<string, protoLoader.PackageDefinition>();

/**
 * Loads (and caches) the package definition of one or more .proto files. `keepCase` keeps the
 * .proto's field names (reflection needs them; messages in code use the camelCased default).
 */
export function loadPackageDefinition(protoPaths: string | string[], opts: { keepCase?: boolean } = {}): protoLoader.PackageDefinition {
  const paths = (Array.isArray(protoPaths) ? protoPaths : [protoPaths]).map((p) => resolve(p));
  const keepCase = opts.keepCase === true;
  const key = `${keepCase ? 'keep' : 'camel'}\0${paths.join('\0')}`;
  let def = definitions.get(key);
  if (!def) {
    for (const p of paths) if (!existsSync(p)) throw new ProtoError(`proto file not found: ${p}`);
    def = protoLoader.loadSync(paths, { ...protoLoaderOptions, keepCase, includeDirs: [...new Set(paths.map(dirname))] });
    definitions.set(key, def);
  }
  return def;
}

/** Loads a .proto as a grpc object tree (longs as String, enums as String, defaults, oneofs). */
export function loadProto(protoPath: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(loadPackageDefinition(protoPath));
}

/** Finds 'pkg.Service' inside a loaded proto; throws ProtoError when absent. */
export function lookupService(protoPath: string, service: string): grpc.ServiceClientConstructor {
  let node: unknown = loadProto(protoPath);
  for (const part of service.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function' || !('service' in node)) {
    throw new ProtoError(`service ${service} not found in ${protoPath}`);
  }
  return node as grpc.ServiceClientConstructor;
}

/** Path of a .proto shipped in this package's proto/ folder (works from src/ and from dist/). */
export function bundledProtoPath(file: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto', file);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new ProtoError(`bundled proto ${file} not found near ${fileURLToPath(import.meta.url)}`);
}

// Locate the package's proto/ directory from source (src/server) or from a bundle (dist/, dist/cli/).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function certainProtoPath(name: 'certain.proto' | 'card.proto'): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'proto', name);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`cannot find proto/${name} above ${fileURLToPath(import.meta.url)}`);
}

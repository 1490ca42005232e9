// Shared by every e2e file: failed linearizability checks leave an HTML time line in
// e2e/test-output/, and every cluster a file started is stopped even if its own
// afterAll never ran (the harness's exit hook and reaper are the last resort).
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { stopAllClusters } from '@quorumkit/test-harness';

process.env.QUORUMKIT_HISTORY_HTML_DIR ??= fileURLToPath(new URL('../test-output', import.meta.url));

afterAll(async () => {
  await stopAllClusters();
});

// A bench replica process: node dist/bench/replica.js <id> <peer,peer,peer> <dir>
import { Certain, grpcTransport } from '../src/index.js';

const [idArg, peersArg, dir] = process.argv.slice(2);
const id = Number(idArg);
const peers = (peersArg ?? '').split(',');
const certain = new Certain({
  acceptorId: id,
  acceptorNum: peers.length,
  peers,
  transport: grpcTransport,
  path: dir!,
  bootstrap: true, // a fresh bench cluster: every replica votes at once
  apply: (_e, _k, value, tx) => tx.put(new Uint8Array([1]), value),
});
await certain.start();
process.stderr.write(`bench replica ${id} ready\n`);
const stop = () => void certain.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// The receiving process of the bench: a unary Echo service and a PeerLink receiver.
import { createGrpcServer, peerLinkService, bytesCodec } from '../src/index.js';

export async function serve(protoPath: string): Promise<void> {
  let received = 0;
  const peer = peerLinkService<Uint8Array>({ codec: bytesCodec, onMessage: () => void received++ });
  const server = await createGrpcServer({
    protoPath,
    service: 'quorumkit.bench.Bench',
    handlers: { Echo: async (req: { payload: Buffer }) => ({ payload: req.payload }) },
    extraServices: [peer],
  });
  process.stdout.write(`PORT ${server.port}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // the parent closes our stdin when it is done (or dies)
  process.stdin.on('end', stop);
  process.stdin.resume();
  void received;
}

import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BatchReply as _quorumkit_peerlink_BatchReply, BatchReply__Output as _quorumkit_peerlink_BatchReply__Output } from './quorumkit/peerlink/BatchReply';
import type { BatchRequest as _quorumkit_peerlink_BatchRequest, BatchRequest__Output as _quorumkit_peerlink_BatchRequest__Output } from './quorumkit/peerlink/BatchRequest';
import type { PeerLinkClient as _quorumkit_peerlink_PeerLinkClient, PeerLinkDefinition as _quorumkit_peerlink_PeerLinkDefinition } from './quorumkit/peerlink/PeerLink';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  quorumkit: {
    peerlink: {
      BatchReply: MessageTypeDefinition<_quorumkit_peerlink_BatchReply, _quorumkit_peerlink_BatchReply__Output>
      BatchRequest: MessageTypeDefinition<_quorumkit_peerlink_BatchRequest, _quorumkit_peerlink_BatchRequest__Output>
      /**
       * Carries many protocol messages between two peers in one unary call. Messages are opaque
       * bytes (the systems' own encoding). Within one sender session they are delivered to the
       * receiver's handler in send order, each at most once.
       */
      PeerLink: SubtypeConstructor<typeof grpc.Client, _quorumkit_peerlink_PeerLinkClient> & { service: _quorumkit_peerlink_PeerLinkDefinition }
    }
  }
}


// Original file: proto/peerlink.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BatchReply as _quorumkit_peerlink_BatchReply, BatchReply__Output as _quorumkit_peerlink_BatchReply__Output } from '../../quorumkit/peerlink/BatchReply';
import type { BatchRequest as _quorumkit_peerlink_BatchRequest, BatchRequest__Output as _quorumkit_peerlink_BatchRequest__Output } from '../../quorumkit/peerlink/BatchRequest';

/**
 * Carries many protocol messages between two peers in one unary call. Messages are opaque
 * bytes (the systems' own encoding). Within one sender session they are delivered to the
 * receiver's handler in send order, each at most once.
 */
export interface PeerLinkClient extends grpc.Client {
  Batch(argument: _quorumkit_peerlink_BatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  Batch(argument: _quorumkit_peerlink_BatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  Batch(argument: _quorumkit_peerlink_BatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  Batch(argument: _quorumkit_peerlink_BatchRequest, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  batch(argument: _quorumkit_peerlink_BatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  batch(argument: _quorumkit_peerlink_BatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  batch(argument: _quorumkit_peerlink_BatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  batch(argument: _quorumkit_peerlink_BatchRequest, callback: grpc.requestCallback<_quorumkit_peerlink_BatchReply__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Carries many protocol messages between two peers in one unary call. Messages are opaque
 * bytes (the systems' own encoding). Within one sender session they are delivered to the
 * receiver's handler in send order, each at most once.
 */
export interface PeerLinkHandlers extends grpc.UntypedServiceImplementation {
  Batch: grpc.handleUnaryCall<_quorumkit_peerlink_BatchRequest__Output, _quorumkit_peerlink_BatchReply>;
  
}

export interface PeerLinkDefinition extends grpc.ServiceDefinition {
  Batch: MethodDefinition<_quorumkit_peerlink_BatchRequest, _quorumkit_peerlink_BatchReply, _quorumkit_peerlink_BatchRequest__Output, _quorumkit_peerlink_BatchReply__Output>
}

// Original file: test/proto/echo.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EchoReply as _quorumkit_test_EchoReply, EchoReply__Output as _quorumkit_test_EchoReply__Output } from '../../quorumkit/test/EchoReply';
import type { EchoRequest as _quorumkit_test_EchoRequest, EchoRequest__Output as _quorumkit_test_EchoRequest__Output } from '../../quorumkit/test/EchoRequest';
import type { FailRequest as _quorumkit_test_FailRequest, FailRequest__Output as _quorumkit_test_FailRequest__Output } from '../../quorumkit/test/FailRequest';
import type { SlowRequest as _quorumkit_test_SlowRequest, SlowRequest__Output as _quorumkit_test_SlowRequest__Output } from '../../quorumkit/test/SlowRequest';

/**
 * A tiny service used by shared-transport's own tests.
 */
export interface EchoClient extends grpc.Client {
  Echo(argument: _quorumkit_test_EchoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Echo(argument: _quorumkit_test_EchoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Echo(argument: _quorumkit_test_EchoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Echo(argument: _quorumkit_test_EchoRequest, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  echo(argument: _quorumkit_test_EchoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  echo(argument: _quorumkit_test_EchoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  echo(argument: _quorumkit_test_EchoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  echo(argument: _quorumkit_test_EchoRequest, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  
  Fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _quorumkit_test_FailRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _quorumkit_test_FailRequest, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _quorumkit_test_FailRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _quorumkit_test_FailRequest, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  
  Slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Slow(argument: _quorumkit_test_SlowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  Slow(argument: _quorumkit_test_SlowRequest, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  slow(argument: _quorumkit_test_SlowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  slow(argument: _quorumkit_test_SlowRequest, callback: grpc.requestCallback<_quorumkit_test_EchoReply__Output>): grpc.ClientUnaryCall;
  
}

/**
 * A tiny service used by shared-transport's own tests.
 */
export interface EchoHandlers extends grpc.UntypedServiceImplementation {
  Echo: grpc.handleUnaryCall<_quorumkit_test_EchoRequest__Output, _quorumkit_test_EchoReply>;
  
  Fail: grpc.handleUnaryCall<_quorumkit_test_FailRequest__Output, _quorumkit_test_EchoReply>;
  
  Slow: grpc.handleUnaryCall<_quorumkit_test_SlowRequest__Output, _quorumkit_test_EchoReply>;
  
}

export interface EchoDefinition extends grpc.ServiceDefinition {
  Echo: MethodDefinition<_quorumkit_test_EchoRequest, _quorumkit_test_EchoReply, _quorumkit_test_EchoRequest__Output, _quorumkit_test_EchoReply__Output>
  Fail: MethodDefinition<_quorumkit_test_FailRequest, _quorumkit_test_EchoReply, _quorumkit_test_FailRequest__Output, _quorumkit_test_EchoReply__Output>
  Slow: MethodDefinition<_quorumkit_test_SlowRequest, _quorumkit_test_EchoReply, _quorumkit_test_SlowRequest__Output, _quorumkit_test_EchoReply__Output>
}

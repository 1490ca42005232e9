// Original file: test/proto/echo.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EchoMessage as _quorumkit_test_EchoMessage, EchoMessage__Output as _quorumkit_test_EchoMessage__Output } from '../../quorumkit/test/EchoMessage';
import type { FailRequest as _quorumkit_test_FailRequest, FailRequest__Output as _quorumkit_test_FailRequest__Output } from '../../quorumkit/test/FailRequest';
import type { Reply as _quorumkit_test_Reply, Reply__Output as _quorumkit_test_Reply__Output } from '../../quorumkit/test/Reply';
import type { SlowRequest as _quorumkit_test_SlowRequest, SlowRequest__Output as _quorumkit_test_SlowRequest__Output } from '../../quorumkit/test/SlowRequest';

/**
 * A tiny service used by shared-transport's own tests.
 */
export interface EchoClient extends grpc.Client {
  /**
   * returns the request, with served_by set to the server's name
   */
  Echo(argument: _quorumkit_test_EchoMessage, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  Echo(argument: _quorumkit_test_EchoMessage, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  Echo(argument: _quorumkit_test_EchoMessage, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  Echo(argument: _quorumkit_test_EchoMessage, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  /**
   * returns the request, with served_by set to the server's name
   */
  echo(argument: _quorumkit_test_EchoMessage, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  echo(argument: _quorumkit_test_EchoMessage, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  echo(argument: _quorumkit_test_EchoMessage, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  echo(argument: _quorumkit_test_EchoMessage, callback: grpc.requestCallback<_quorumkit_test_EchoMessage__Output>): grpc.ClientUnaryCall;
  
  /**
   * throws: a coded QuorumkitError, or a plain Error when `plain`
   */
  Fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _quorumkit_test_FailRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _quorumkit_test_FailRequest, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  /**
   * throws: a coded QuorumkitError, or a plain Error when `plain`
   */
  fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  fail(argument: _quorumkit_test_FailRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  fail(argument: _quorumkit_test_FailRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  fail(argument: _quorumkit_test_FailRequest, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  
  /**
   * answers after delay_ms unless the call is cancelled first
   */
  Slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  Slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  Slow(argument: _quorumkit_test_SlowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  Slow(argument: _quorumkit_test_SlowRequest, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  /**
   * answers after delay_ms unless the call is cancelled first
   */
  slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  slow(argument: _quorumkit_test_SlowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  slow(argument: _quorumkit_test_SlowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  slow(argument: _quorumkit_test_SlowRequest, callback: grpc.requestCallback<_quorumkit_test_Reply__Output>): grpc.ClientUnaryCall;
  
}

/**
 * A tiny service used by shared-transport's own tests.
 */
export interface EchoHandlers extends grpc.UntypedServiceImplementation {
  /**
   * returns the request, with served_by set to the server's name
   */
  Echo: grpc.handleUnaryCall<_quorumkit_test_EchoMessage__Output, _quorumkit_test_EchoMessage>;
  
  /**
   * throws: a coded QuorumkitError, or a plain Error when `plain`
   */
  Fail: grpc.handleUnaryCall<_quorumkit_test_FailRequest__Output, _quorumkit_test_Reply>;
  
  /**
   * answers after delay_ms unless the call is cancelled first
   */
  Slow: grpc.handleUnaryCall<_quorumkit_test_SlowRequest__Output, _quorumkit_test_Reply>;
  
}

export interface EchoDefinition extends grpc.ServiceDefinition {
  Echo: MethodDefinition<_quorumkit_test_EchoMessage, _quorumkit_test_EchoMessage, _quorumkit_test_EchoMessage__Output, _quorumkit_test_EchoMessage__Output>
  Fail: MethodDefinition<_quorumkit_test_FailRequest, _quorumkit_test_Reply, _quorumkit_test_FailRequest__Output, _quorumkit_test_Reply__Output>
  Slow: MethodDefinition<_quorumkit_test_SlowRequest, _quorumkit_test_Reply, _quorumkit_test_SlowRequest__Output, _quorumkit_test_Reply__Output>
}

import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { EchoClient as _quorumkit_test_EchoClient, EchoDefinition as _quorumkit_test_EchoDefinition } from './quorumkit/test/Echo';
import type { EchoReply as _quorumkit_test_EchoReply, EchoReply__Output as _quorumkit_test_EchoReply__Output } from './quorumkit/test/EchoReply';
import type { EchoRequest as _quorumkit_test_EchoRequest, EchoRequest__Output as _quorumkit_test_EchoRequest__Output } from './quorumkit/test/EchoRequest';
import type { FailRequest as _quorumkit_test_FailRequest, FailRequest__Output as _quorumkit_test_FailRequest__Output } from './quorumkit/test/FailRequest';
import type { SlowRequest as _quorumkit_test_SlowRequest, SlowRequest__Output as _quorumkit_test_SlowRequest__Output } from './quorumkit/test/SlowRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  quorumkit: {
    test: {
      /**
       * A tiny service used by shared-transport's own tests.
       */
      Echo: SubtypeConstructor<typeof grpc.Client, _quorumkit_test_EchoClient> & { service: _quorumkit_test_EchoDefinition }
      EchoReply: MessageTypeDefinition<_quorumkit_test_EchoReply, _quorumkit_test_EchoReply__Output>
      EchoRequest: MessageTypeDefinition<_quorumkit_test_EchoRequest, _quorumkit_test_EchoRequest__Output>
      FailRequest: MessageTypeDefinition<_quorumkit_test_FailRequest, _quorumkit_test_FailRequest__Output>
      SlowRequest: MessageTypeDefinition<_quorumkit_test_SlowRequest, _quorumkit_test_SlowRequest__Output>
    }
  }
}


import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { EchoClient as _quorumkit_test_EchoClient, EchoDefinition as _quorumkit_test_EchoDefinition } from './quorumkit/test/Echo';
import type { EchoMessage as _quorumkit_test_EchoMessage, EchoMessage__Output as _quorumkit_test_EchoMessage__Output } from './quorumkit/test/EchoMessage';
import type { FailRequest as _quorumkit_test_FailRequest, FailRequest__Output as _quorumkit_test_FailRequest__Output } from './quorumkit/test/FailRequest';
import type { Reply as _quorumkit_test_Reply, Reply__Output as _quorumkit_test_Reply__Output } from './quorumkit/test/Reply';
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
      EchoMessage: MessageTypeDefinition<_quorumkit_test_EchoMessage, _quorumkit_test_EchoMessage__Output>
      FailRequest: MessageTypeDefinition<_quorumkit_test_FailRequest, _quorumkit_test_FailRequest__Output>
      Reply: MessageTypeDefinition<_quorumkit_test_Reply, _quorumkit_test_Reply__Output>
      SlowRequest: MessageTypeDefinition<_quorumkit_test_SlowRequest, _quorumkit_test_SlowRequest__Output>
    }
  }
}


// Original file: test/proto/echo.proto

import type { Long } from '@grpc/proto-loader';

export interface EchoRequest {
  'text'?: (string);
  'ballot'?: (number | string | Long);
  'entryId'?: (number | string | Long);
  'payload'?: (Buffer | Uint8Array | string);
}

export interface EchoRequest__Output {
  'text': (string);
  'ballot': (string);
  'entryId': (string);
  'payload': (Buffer);
}

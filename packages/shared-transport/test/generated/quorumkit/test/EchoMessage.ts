// Original file: test/proto/echo.proto

import type { Long } from '@grpc/proto-loader';

export interface EchoMessage {
  'text'?: (string);
  'ballot'?: (number | string | Long);
  'entryId'?: (number | string | Long);
  'payload'?: (Buffer | Uint8Array | string);
  'servedBy'?: (string);
}

export interface EchoMessage__Output {
  'text': (string);
  'ballot': (string);
  'entryId': (string);
  'payload': (Buffer);
  'servedBy': (string);
}

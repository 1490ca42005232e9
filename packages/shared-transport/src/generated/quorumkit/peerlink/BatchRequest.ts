// Original file: proto/peerlink.proto

import type { Long } from '@grpc/proto-loader';

export interface BatchRequest {
  /**
   * the sender's node id, handed to the receiver's handler
   */
  'from'?: (string);
  /**
   * random per PeerLink instance: a restarted sender starts a fresh ordered sequence
   */
  'session'?: (string);
  /**
   * 1, 2, 3, ... per session; the receiver delivers batches in this order
   */
  'seq'?: (number | string | Long);
  /**
   * every batch below this seq was delivered or abandoned by the sender: do not wait for it
   */
  'floor'?: (number | string | Long);
  'messages'?: (Buffer | Uint8Array | string)[];
}

export interface BatchRequest__Output {
  /**
   * the sender's node id, handed to the receiver's handler
   */
  'from': (string);
  /**
   * random per PeerLink instance: a restarted sender starts a fresh ordered sequence
   */
  'session': (string);
  /**
   * 1, 2, 3, ... per session; the receiver delivers batches in this order
   */
  'seq': (string);
  /**
   * every batch below this seq was delivered or abandoned by the sender: do not wait for it
   */
  'floor': (string);
  'messages': (Buffer)[];
}

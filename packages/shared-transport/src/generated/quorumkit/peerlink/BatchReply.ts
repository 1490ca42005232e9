// Original file: proto/peerlink.proto


export interface BatchReply {
  /**
   * how many messages of this batch the handler took (0 if the batch had been delivered before)
   */
  'delivered'?: (number);
}

export interface BatchReply__Output {
  /**
   * how many messages of this batch the handler took (0 if the batch had been delivered before)
   */
  'delivered': (number);
}

// Original file: test/proto/echo.proto


export interface SlowRequest {
  'delayMs'?: (number);
  'text'?: (string);
}

export interface SlowRequest__Output {
  'delayMs': (number);
  'text': (string);
}

// Original file: test/proto/echo.proto


export interface FailRequest {
  'code'?: (string);
  'message'?: (string);
  'plain'?: (boolean);
}

export interface FailRequest__Output {
  'code': (string);
  'message': (string);
  'plain': (boolean);
}

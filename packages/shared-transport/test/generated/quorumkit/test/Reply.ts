// Original file: test/proto/echo.proto


export interface Reply {
  'text'?: (string);
  'servedBy'?: (string);
}

export interface Reply__Output {
  'text': (string);
  'servedBy': (string);
}

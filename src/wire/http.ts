// The HTTP/1.x codec in one import: the streaming parser, the serializer, the types and the syntax
// helpers (RFC 9112, RFC 9110).
export * from './http-types.ts';
export {
  HttpParser,
  type HttpParserOptions,
  type HttpParserRole,
  type HttpParserState,
} from './http-parser.ts';
export {
  concat,
  encodeChunk,
  encodeChunkedBody,
  encodeLastChunk,
  fieldsText,
  requestHeadText,
  serializeRequestHead,
  serializeResponseHead,
  type ChunkExtension,
  type RequestHeadInit,
  type ResponseHeadInit,
} from './http-serialize.ts';
export {
  fieldValue,
  fieldValues,
  invalidFieldValueIndex,
  isToken,
  latin1,
  latin1Bytes,
  parseAuthority,
  REASON_PHRASES,
  splitList,
} from './http-syntax.ts';

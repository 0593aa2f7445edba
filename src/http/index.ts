// HTTP/1.1 connections on netlab's own codec (src/wire/http*): the server side (pipelining,
// 100-continue, timeouts, backpressure, netlab-written refusals), the client side and the keep-alive
// pool the reverse proxy uses.
export { bodyError, HttpBody, type HttpBodyHooks } from './body.ts';
export {
  HttpServerResponse,
  toFields,
  type FramedSink,
  type HttpFieldsInit,
  type RelayedHead,
  type ResponseSink,
} from './response.ts';
export {
  HttpServerConnection,
  type HttpConnectionTakeover,
  type HttpRequestConnection,
  type HttpRefusal,
  type HttpRequestHandler,
  type HttpServerConnectionOptions,
  type HttpServerRequest,
} from './server-connection.ts';
export { HttpServer, type HttpServerOptions } from './server.ts';
export { AcceptQueue, type AcceptQueueEvent, type AcceptQueueOptions, type AcceptQueueStats } from './accept-queue.ts';
export {
  HttpClientConnection,
  type HttpClientConnectionOptions,
  type HttpClientConnectionState,
  type HttpClientRequest,
  type HttpClientResponse,
} from './client-connection.ts';
export {
  connectUpstream,
  HttpConnectionPool,
  upstreamKey,
  type HttpConnectionPoolOptions,
  type PoolStats,
  type PooledConnection,
  type Upstream,
} from './pool.ts';

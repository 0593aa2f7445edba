// netlab's reverse proxy and L7 load balancer: start one from a config object (the shape of a proxy
// YAML file) with startProxy(), or from a file with loadConfigFile() + startProxy().
export { type AccessRecord, type AccessSink, combinedLine, jsonLine } from './access-log.ts';
export { ClusterRuntime, upstreamTlsOptions } from './cluster.ts';
export * from './config.ts';
export * from './config-features.ts';
export * from './config-gateway.ts';
export { bearerToken, isLoopbackUrl, tokenScopes } from './features/jwt-auth.ts';
export { REPLAYED_HEADER } from './gateway.ts';
export { cookieValue, setCookieValue } from './forward.ts';
export { AddressSet, allowedTrailers, applyForwarding, FORBIDDEN_TRAILERS, HOP_BY_HOP, plainAddress, stripHopByHop } from './headers.ts';
export { ProxyMetrics } from './metrics.ts';
export { type ListenerInfo, type ProxyEvent, type ProxyOptions, type ProxyStats, ReverseProxy, splitTarget, startProxy, toProxyConfig } from './proxy.ts';
export { compileRoutes, findRoute, hostMatches, hostOnly, redirectLocation, rewritePath, type CompiledRoute, type RouteRequest } from './routes.ts';
export { watchConfigFile } from './watch.ts';

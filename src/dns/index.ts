// The authoritative side of netlab's DNS: master files, zones, the server with its views, failover
// health checks and faults. (The resolver, its cache and the recursive server are imported from
// their own files: resolver.ts, cache.ts, recursive-server.ts.)

export * from './zone-file-lexer.ts';
export * from './zone-file-rdata.ts';
export { loadZoneFile, parseZoneText, type ZoneFileRecord, type ZoneTextOptions } from './zone-file.ts';
export * from './zone.ts';
export * from './zone-set.ts';
export * from './zone-lookup.ts';
export * from './views.ts';
export * from './faults.ts';
export * from './health.ts';
export * from './auth-failover.ts';
export * from './auth-answer.ts';
export * from './auth-cache.ts';
export * from './auth-server.ts';
export { sleep } from './stub-client.ts';
export { RecursiveServer } from './recursive-server.ts';
export { Resolver } from './resolver.ts';
export type { QueryResult } from './resolver-types.ts';
export type { ResolveResult } from './resolver-types.ts';
export type { ResolverEvent } from './resolver-types.ts';
export { SocketTransport } from './transport.ts';
export { DnsCache } from './cache.ts';
export { Stub } from './stub-client.ts';
export { TimedTransport } from './timed-transport.ts';
export type { ServerAddress } from './resolver-types.ts';
export type { RejectDetail } from './transport.ts';
export type { WeakTransport } from './transport.ts';
export type { CacheRow } from './cache.ts';

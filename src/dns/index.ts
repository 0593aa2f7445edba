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

// HTTP and HTTPS listeners of the proxy: an HttpServer each; HTTPS picks its certificate by the
// ClientHello's server name (SNI: exact or `*.suffix` names from the listener's `sni` list, else the
// listener's default certificate) and offers h2 by ALPN when the listener speaks it (h2-front.ts).

import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import type { ListenerConfig } from './config-schema.ts';
import { hostMatches } from './routes.ts';

/** Node TLS server options for an HTTPS listener (files read now). */
export function listenerTlsOptions(l: ListenerConfig): TlsOptions | undefined {
  const t = l.tls;
  if (t === undefined) return undefined;
  const contexts: { host: string; ctx: SecureContext }[] = t.sni.map((s) => ({
    host: s.host,
    ctx: createSecureContext({ cert: readFileSync(s.cert), key: readFileSync(s.key), minVersion: t.minVersion }),
  }));
  return {
    cert: readFileSync(t.cert),
    key: readFileSync(t.key),
    minVersion: t.minVersion,
    // ALPN (RFC 7301): h2 first when the listener speaks it; a client offering neither gets an alert.
    ...(l.protocols.includes('h2') ? { ALPNProtocols: l.protocols.some((p) => p.startsWith('http/')) ? ['h2', 'http/1.1'] : ['h2'] } : {}),
    ...(t.clientCa === undefined ? {} : { ca: readFileSync(t.clientCa), requestCert: true, rejectUnauthorized: true }),
    SNICallback: (servername, cb) => {
      const name = servername.toLowerCase();
      const exact = contexts.find((c) => !c.host.startsWith('*') && hostMatches(c.host, name));
      const hit = exact ?? contexts.find((c) => hostMatches(c.host, name));
      cb(null, hit?.ctx);
    },
  };
}

/** What must stay the same for a reload to keep a listener's socket. */
export function listenerKey(l: ListenerConfig): string {
  return JSON.stringify({
    address: l.address,
    port: l.port,
    mode: l.mode,
    tls: l.tls ?? null,
    h2: l.protocols.filter((p) => p === 'h2' || p === 'h2c'),
    http2: l.http2,
    maxConnections: l.maxConnections ?? null,
    maxQueued: l.maxQueued ?? null,
    queueTimeoutMs: l.queueTimeoutMs ?? null,
  });
}

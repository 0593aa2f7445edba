// The lab catalogue, in tour order (`netlab lab tour`, `npm start`). Each entry is a lab's info
// (labs/info.ts) and how to load it: a lab's code (and the servers and codecs it imports) loads only
// when that lab runs, so `netlab lab list` starts at once. Add a lab to labs/info.ts and here.

import type { AnyLab } from '../src/lab/index.ts';
import type { LabEntry } from '../src/lab/index.ts';
import { LAB_INFO, type LabName } from './info.ts';

function entry(name: LabName, load: () => Promise<{ default: AnyLab }>): LabEntry {
  return { ...LAB_INFO[name], load: async () => (await load()).default };
}

export const CATALOGUE: readonly LabEntry[] = [
  entry('encapsulation', () => import('./encapsulation.ts')),
  entry('checksums', () => import('./checksums.ts')),
  entry('ports', () => import('./ports.ts')),
  entry('mac-and-arp', () => import('./mac-and-arp.ts')),
  entry('routing-and-ttl', () => import('./routing-and-ttl.ts')),
  entry('tcp-handshake-and-close', () => import('./tcp-handshake-and-close.ts')),
  entry('tcp-reliability', () => import('./tcp-reliability.ts')),
  entry('flow-and-congestion-control', () => import('./flow-and-congestion-control.ts')),
  entry('tcp-spoofing', () => import('./tcp-spoofing.ts')),
  entry('nat-pat', () => import('./nat-pat.ts')),
  entry('nat-exhaustion-and-timeouts', () => import('./nat-exhaustion-and-timeouts.ts')),
  entry('nat-behaviours', () => import('./nat-behaviours.ts')),
  entry('dns-resolution', () => import('./dns-resolution.ts')),
  entry('dns-load-balancing', () => import('./dns-load-balancing.ts')),
  entry('dns-spoofing', () => import('./dns-spoofing.ts')),
  entry('tls13-handshake', () => import('./tls13-handshake.ts')),
  entry('mtls', () => import('./mtls.ts')),
  entry('sni-and-alpn', () => import('./sni-and-alpn.ts')),
  entry('forward-vs-reverse-proxy', () => import('./forward-vs-reverse-proxy.ts')),
  entry('http-versions', () => import('./http-versions.ts')),
  entry('l7-load-balancing', () => import('./l7-load-balancing.ts')),
  entry('consistent-hashing', () => import('./consistent-hashing.ts')),
  entry('long-polling-behind-a-balancer', () => import('./long-polling-behind-a-balancer.ts')),
  entry('realtime-patterns', () => import('./realtime-patterns.ts')),
  entry('tls-termination', () => import('./tls-termination.ts')),
  entry('caching-and-compression', () => import('./caching-and-compression.ts')),
  entry('rate-limits-and-circuit-breakers', () => import('./rate-limits-and-circuit-breakers.ts')),
  entry('api-gateway', () => import('./api-gateway.ts')),
  entry('l4-vs-l7', () => import('./l4-vs-l7.ts')),
  entry('floating-ip-failover', () => import('./floating-ip-failover.ts')),
  entry('udp-load-balancing', () => import('./udp-load-balancing.ts')),
];

/** Every lab, loaded (tests and the fixtures writer use this). */
export async function loadAllLabs(): Promise<readonly AnyLab[]> {
  return Promise.all(CATALOGUE.map((e) => e.load()));
}

// The DNS load-balancing lab's names, served on loopback: google.com with a study guide's three addresses
// (142.250.180.14, .206, .238: labels here, nothing is sent to them), api.mysite.com answered by region
// (a study guide's 15.125.23.214 for the US), and www.mysite.com on two real web servers on 127.60.0.11 and
// .12 with a short TTL, health checked, with a "sorry" server as the fallback. One authoritative
// server (ns1.google.com and ns1.mysite.com are both 127.53.0.3) under the lab's own root and .com.

import type { ViewSpec } from '../../src/dns/index.ts';
import { Zone } from '../../src/dns/index.ts';
import { parseZoneText } from '../../src/dns/index.ts';
import { AUTH_ADDRESS, comZone, ROOT_ADDRESS, ROOT_NAME, rootZone, TLD_ADDRESS, TLD_NAME } from './seed-zones.ts';
import type { ServerSpec } from './servers.ts';

export { AUTH_ADDRESS, RESOLVER_ADDRESS, ROOT_ADDRESS, STUB_ADDRESS, TLD_ADDRESS } from './seed-zones.ts';

export const LB = {
  roundRobin: 'google.com',
  /** A study guide's nslookup answers, in the zone's order. */
  googleAddresses: ['142.250.180.14', '142.250.180.206', '142.250.180.238'],
  googleTtl: 300,
  geo: 'api.mysite.com',
  geoTtl: 300,
  /** Clients: one per region, and one in neither. */
  india: { name: 'India', network: '127.1.0.0/16', client: '127.1.0.10', answer: '198.51.100.14' },
  us: { name: 'US', network: '127.2.0.0/16', client: '127.2.0.10', answer: '15.125.23.214' },
  elsewhere: { client: '127.53.0.100', answer: '192.0.2.14' },
  web: 'www.mysite.com',
  /** Short, so the lab can wait it out (real sites with DNS failover use 30-60 s). */
  webTtl: 5,
  east: { name: 'us-east', address: '127.60.0.11' },
  west: { name: 'us-west', address: '127.60.0.12' },
  sorry: { name: 'sorry-server', address: '127.60.0.99' },
} as const;

export const AUTH_NAMES = 'ns1.google.com, ns1.mysite.com';

function googleZone(): Zone {
  return Zone.fromText(
    'google.com',
    `$ORIGIN google.com.
$TTL ${LB.googleTtl}
@    SOA  ns1 hostmaster 2024010101 7200 3600 1209600 300
@    NS   ns1
ns1  A    ${AUTH_ADDRESS}
${LB.googleAddresses.map((a) => `@    A    ${a}`).join('\n')}
`,
    'google.com.zone',
  );
}

function mysiteZone(): Zone {
  return Zone.fromText(
    'mysite.com',
    `$ORIGIN mysite.com.
$TTL 300
@    SOA  ns1 hostmaster 2024010101 7200 3600 1209600 300
@    NS   ns1
ns1  A    ${AUTH_ADDRESS}
api  ${LB.geoTtl} A ${LB.elsewhere.answer}
www  ${LB.webTtl} A ${LB.east.address}
www  ${LB.webTtl} A ${LB.west.address}
`,
    'mysite.com.zone',
  );
}

export function geoViews(): ViewSpec[] {
  const view = (v: { name: string; network: string; answer: string }): ViewSpec => ({
    name: v.name,
    networks: [v.network],
    records: parseZoneText(`api ${LB.geoTtl} A ${v.answer}`, { origin: 'mysite.com' }).map((r) => r.record),
  });
  return [view(LB.india), view(LB.us)];
}

/** Health checks: every 100 ms, 200 ms to connect, down after 3 failures, up after 2 successes. */
export const HEALTH = { intervalMs: 100, timeoutMs: 200, fall: 3, rise: 2 } as const;

/** The servers; `backendPort` is where the web servers listen (the health checks' port). */
export function lbServers(backendPort: number, rotate = true): ServerSpec[] {
  const delegations = `google      NS  ns1.google
ns1.google  A   ${AUTH_ADDRESS}
mysite      NS  ns1.mysite
ns1.mysite  A   ${AUTH_ADDRESS}
`;
  return [
    { name: ROOT_NAME, address: ROOT_ADDRESS, zones: [rootZone()] },
    { name: TLD_NAME, address: TLD_ADDRESS, zones: [comZone(AUTH_ADDRESS, delegations)] },
    {
      name: 'ns1.mysite.com',
      address: AUTH_ADDRESS,
      zones: [googleZone(), mysiteZone()],
      options: {
        rotate,
        views: geoViews(),
        failover: { rules: [{ name: LB.web, type: 'A', check: { kind: 'tcp', port: backendPort }, fallback: [LB.sorry.address] }], health: { ...HEALTH } },
      },
    },
  ];
}

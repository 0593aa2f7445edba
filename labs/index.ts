// The lab catalogue, in tour order (`netlab lab tour`, `npm start`). Each lab file exports one
// defineLab({...}); add it here to make it known to `netlab lab list/run/tour` and to the fixtures.

import type { AnyLab } from '../src/lab/types.ts';
import checksums from './checksums.ts';
import encapsulation from './encapsulation.ts';
import ports from './ports.ts';
import macAndArp from './mac-and-arp.ts';
import routingAndTtl from './routing-and-ttl.ts';
import tls13Handshake from './tls13-handshake.ts';
import mtls from './mtls.ts';
import sniAndAlpn from './sni-and-alpn.ts';
import dnsResolution from './dns-resolution.ts';
import dnsLoadBalancing from './dns-load-balancing.ts';
import dnsSpoofing from './dns-spoofing.ts';

export const LABS: readonly AnyLab[] = [encapsulation, checksums, ports, macAndArp, routingAndTtl, dnsResolution, dnsLoadBalancing, dnsSpoofing, tls13Handshake, mtls, sniAndAlpn];

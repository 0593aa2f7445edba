// The transport and tunnel mappers: decoded layer kind -> Wireshark's protocol tree for it.

import type { ProtocolMapper } from '../context.ts';
import { mapData } from './data.ts';
import { isDhcp, mapDhcp } from './dhcp.ts';
import { isNbns, mapNbns } from './nbns.ts';
import { isNtp, mapNtp } from './ntp.ts';
import { isSsdp, mapSsdp } from './ssdp.ts';
import { isStun, mapStun } from './stun.ts';
import { isNetlabHeartbeat, mapNetlabHeartbeat } from './netlab-heartbeat.ts';
import { isIgmp, mapIgmp } from './igmp.ts';
import { isGre, mapGre } from './gre.ts';
import { mapAh } from './ah.ts';
import { isPppoed, mapPppoed } from './pppoed.ts';
import { isBjnp, mapBjnp } from './bjnp.ts';
import { isDbLspDisc, mapDbLspDisc } from './db-lsp-disc.ts';
import { isOspf, mapOspf } from './ospf.ts';
import { isGquic, mapGquic } from './gquic.ts';
import { mapDns } from './dns.ts';
import { mapIcmp } from './icmp.ts';
import { mapIcmpv6 } from './icmpv6.ts';
import { mapTcp } from './tcp.ts';
import { mapUdp } from './udp.ts';
import { mapVxlan } from './vxlan.ts';
import { tlsTcpApp } from './tls.ts';
import { dnsTcpApp } from './dns-tcp-app.ts';
import { httpTcpApp } from './http.ts';
import { websocketTcpApp } from './websocket.ts';
import type { TcpAppDissector } from '../tcp-reassembly-apps.ts';
import { pptpTcpApp } from './pptp.ts';
import { sshTcpApp } from './ssh.ts';
import { ldapTcpApp } from './ldap.ts';

export const TRANSPORT_MAPPERS: Readonly<Record<string, ProtocolMapper>> = {
  icmp: mapIcmp,
  icmpv6: mapIcmpv6,
  tcp: mapTcp,
  udp: mapUdp,
  vxlan: mapVxlan,
  ah: mapAh,
  dns: mapDns,
  'dns-tcp': mapDns,
  // Payloads of UDP ports (and IP protocols) a netlab dissector knows go to it; the rest stay data.
  data: (layer, ctx) =>
    (isDhcp(ctx)
      ? mapDhcp(layer, ctx)
      : isNbns(ctx)
        ? mapNbns(layer, ctx)
        : isNtp(ctx)
          ? mapNtp(layer, ctx)
          : isIgmp(ctx)
            ? mapIgmp(layer, ctx)
            : isSsdp(ctx)
              ? mapSsdp(layer, ctx)
              : isStun(ctx, layer)
                ? mapStun(layer, ctx)
                : isNetlabHeartbeat(ctx, layer)
                  ? mapNetlabHeartbeat(layer, ctx)
                  : isGre(ctx)
                    ? mapGre(layer, ctx)
                    : isPppoed(ctx)
                      ? mapPppoed(layer, ctx)
                      : isBjnp(ctx)
                        ? mapBjnp(layer, ctx)
                        : isDbLspDisc(ctx)
                          ? mapDbLspDisc(layer, ctx)
                          : isOspf(ctx)
                            ? mapOspf(layer, ctx)
                            : isGquic(ctx, layer)
                              ? mapGquic(layer, ctx)
                              : undefined) ?? mapData(layer, ctx),
};

/** Application protocols above TCP, reached through the stream reassembly (tcp-reassembly-apps.ts). */
export const TCP_APPS: readonly TcpAppDissector[] = [tlsTcpApp, dnsTcpApp, httpTcpApp, websocketTcpApp, pptpTcpApp, sshTcpApp, ldapTcpApp];

// What `netlab lab list` shows of each lab, without loading any lab: name, title, duration, needs.
// Each lab file spreads its own entry into defineLab(...), so the list and the lab never disagree;
// labs/index.ts holds the tour order and loads a lab only when it runs.

import type { LabInfo } from '../src/lab/index.ts';

export const LAB_INFO = {
  encapsulation: {
    name: 'encapsulation',
    title: 'Encapsulation: an HTTP request through TCP, IPv4 and Ethernet, a router, and back',
    duration: '15 min',
    needs: ['tshark (optional: confirms the decoding)'],
  },
  checksums: {
    name: 'checksums',
    title: 'Checksums by hand: IPv4, UDP and TCP with their pseudo-header, CRC-32, and RFC 1624',
    duration: '15 min',
    needs: ['tshark (optional: confirms every status)'],
  },
  ports: {
    name: 'ports',
    title: 'Ports, sockets and connections on loopback: the 4-tuple, closed ports, message boundaries',
    duration: '15 min',
    needs: ['loopback TCP and UDP sockets', 'root and tcpdump (optional: a real capture on lo)'],
  },
  'mac-and-arp': {
    name: 'mac-and-arp',
    title: 'MAC and ARP: one LAN, one switch: broadcast and reply, the MAC table, flooding, gratuitous ARP',
    duration: '15 min',
    needs: ['tshark (optional: confirms the captures)'],
  },
  'routing-and-ttl': {
    name: 'routing-and-ttl',
    title: 'Routing: MACs change per hop, IPs stay, TTL counts down; traceroute; a host that is not there',
    duration: '20 min',
    needs: ['tshark (optional: confirms the captures)'],
  },
  'dns-resolution': {
    name: 'dns-resolution',
    title: 'DNS resolution: root, TLD, authoritative, then the cache, TTLs and NXDOMAIN',
    duration: '15 min',
    needs: ['loopback UDP sockets on 127.53.0.0/16', "tshark (optional: Wireshark's reading of the captures)"],
  },
  'dns-load-balancing': {
    name: 'dns-load-balancing',
    title: 'Load balancing by DNS: round robin, geo answers, failover, and the cached dead address',
    duration: '15 min',
    needs: [
      'loopback UDP and TCP sockets on 127.1.0.0/16, 127.2.0.0/16, 127.53.0.0/16 and 127.60.0.0/16',
      "tshark (optional: Wireshark's reading of the captures)",
    ],
  },
  'dns-spoofing': {
    name: 'dns-spoofing',
    title: 'DNS spoofing: forged answers turned away, and the cache a weak resolver lets be poisoned',
    duration: '15 min',
    needs: ['loopback UDP sockets on 127.53.0.0/16 and 127.66.0.0/16', "tshark (optional: Wireshark's reading of the captures)"],
  },
  'tls13-handshake': {
    name: 'tls13-handshake',
    title: 'The TLS 1.3 handshake, message by message, from a real HTTPS request',
    duration: '20 min',
    needs: ['loopback TCP sockets', "tshark (optional: Wireshark's reading of the decrypted handshake)"],
  },
  mtls: {
    name: 'mtls',
    title: 'Mutual TLS between two services: one CA, refused clients and their reasons, rotation',
    duration: '20 min',
    needs: ['loopback TCP sockets', 'tshark (optional: the decrypted handshake with CertificateRequest)'],
  },
  'sni-and-alpn': {
    name: 'sni-and-alpn',
    title: 'One listener, two names, two certificates (SNI); h2 or http/1.1 (ALPN)',
    duration: '15 min',
    needs: ['loopback TCP sockets', "tshark (optional: Wireshark's reading of SNI, certificates and ALPN)"],
  },
  'l7-load-balancing': {
    name: 'l7-load-balancing',
    title: 'An L7 load balancer: 11 policies, a slow server, health checks, ejection, sticky sessions, draining',
    duration: '25 min',
    needs: ['loopback TCP sockets on 127.70.0.0/16', "tshark (optional: Wireshark's reading of both sides of the proxy)"],
  },
  'consistent-hashing': {
    name: 'consistent-hashing',
    title: 'Consistent hashing: hash % n moving 80% of keys, a ring moving 1/n, virtual nodes, Maglev, a proxy reload',
    duration: '15 min',
    needs: ['loopback TCP sockets on 127.82.0.0/16', "tshark (optional: Wireshark's reading of both sides of the proxy)"],
  },
  'long-polling-behind-a-balancer': {
    name: 'long-polling-behind-a-balancer',
    title: 'Long polling behind a balancer: the message that lands on the wrong backend, stickiness, a shared channel',
    duration: '15 min',
    needs: ['loopback TCP sockets on 127.71.0.0/16', "tshark (optional: Wireshark's reading of both sides of the proxy)"],
  },
  'realtime-patterns': {
    name: 'realtime-patterns',
    title: 'Realtime patterns: short polling, long polling, Server-Sent Events and WebSocket through a proxy',
    duration: '20 min',
    needs: ['loopback TCP sockets on 127.186.0.0/16', "tshark (optional: Wireshark's reading of both sides of the proxy, WebSocket frames)"],
  },
  'tls-termination': {
    name: 'tls-termination',
    title: 'TLS termination: where TLS ends, what the backend sees, TLS to the upstream, and what it costs',
    duration: '20 min',
    needs: ['loopback TCP sockets on 127.71.0.0/16', 'tshark (optional: decrypts the client side with the key log)'],
  },
  'caching-and-compression': {
    name: 'caching-and-compression',
    title: 'Caching and compression at the proxy: hits, Age, 304s, collapsed forwarding, gzip vs brotli, BREACH',
    duration: '25 min',
    needs: ['loopback TCP sockets on 127.184.0.0/16', "tshark (optional: Wireshark's reading of both sides of the proxy)"],
  },
  'forward-vs-reverse-proxy': {
    name: 'forward-vs-reverse-proxy',
    title: 'Forward proxy vs reverse proxy: A -> B -> C and D -> E -> F, CONNECT, X-Forwarded-For',
    duration: '15 min',
    needs: ['loopback TCP sockets on 127.80.0.0/16', "tshark (optional: Wireshark's reading of both sides of each proxy)"],
  },
  'http-versions': {
    name: 'http-versions',
    title: 'HTTP/1.0, 1.1 keep-alive, pipelining and HTTP/2: connections, head-of-line blocking, HPACK',
    duration: '20 min',
    needs: ['loopback TCP sockets on 127.182.0.0/16', 'tshark (optional: reads the HTTP/2 frames and confirms the header sizes)'],
  },
  'tcp-handshake-and-close': {
    name: 'tcp-handshake-and-close',
    title: 'TCP opens and closes: the handshake, the header and its options, ACKs by bytes, FIN/ACK, TIME-WAIT, RST',
    duration: '20 min',
    needs: ['tshark (optional: confirms the captures and explains its TCP analysis flags)'],
  },
  'tcp-reliability': {
    name: 'tcp-reliability',
    title: 'TCP reliability: expected #37 got #73, duplicate ACKs, fast retransmit, RTO backoff, delayed ACKs',
    duration: '20 min',
    needs: ['tshark (optional: confirms the captures and explains its TCP analysis flags)'],
  },
  'flow-and-congestion-control': {
    name: 'flow-and-congestion-control',
    title: 'Flow control is not congestion control: a zero window and its probes; slow start, a loss, cwnd plotted',
    duration: '20 min',
    needs: ['tshark (optional: confirms the captures and explains its TCP analysis flags)'],
  },
  'tcp-spoofing': {
    name: 'tcp-spoofing',
    title: 'Why the ISN is random: blind connections and injected RST and data, refused with RFC 6528, accepted with a predictable ISN',
    duration: '20 min',
    needs: ['tshark (optional: confirms the captures and explains its TCP analysis flags)'],
  },
  'rate-limits-and-circuit-breakers': {
    name: 'rate-limits-and-circuit-breakers',
    title: 'Rate limits and circuit breakers: token bucket, windows, API keys, load shedding, breakers',
    duration: '20 min',
    needs: ['loopback TCP sockets on 127.185.0.0/16', "tshark (optional: Wireshark's reading of the captures)"],
  },
  'api-gateway': {
    name: 'api-gateway',
    title: 'An API gateway: routes by path, JWT scopes giving 401/403, X-User-Id, per-key limits, idempotency keys',
    duration: '20 min',
    needs: ['loopback TCP sockets on 127.183.0.0/16', "tshark (optional: Wireshark's reading of the captures)"],
  },
  'l4-vs-l7': {
    name: 'l4-vs-l7',
    title: 'L4 vs L7 balancing: paths or ports, chosen at the SYN, what each costs, TLS, PROXY protocol',
    duration: '20 min',
    needs: ['loopback TCP sockets on 127.76.0.0/16', "tshark (optional: Wireshark's reading of the captures)"],
  },
  'floating-ip-failover': {
    name: 'floating-ip-failover',
    title: 'A floating IP fails over: the master killed mid-traffic, the gratuitous ARP, split brain',
    duration: '20 min',
    needs: ['loopback TCP and UDP sockets on 127.77.0.0/16', "tshark (optional: Wireshark's reading of the captures)"],
  },
  'udp-load-balancing': {
    name: 'udp-load-balancing',
    title: 'UDP load balancing: DNS over three servers, policies, flows without connections, one server dies',
    duration: '15 min',
    needs: ['loopback UDP sockets on 127.77.1.0/24', 'dig (optional: asks through the balancer)', "tshark (optional: Wireshark's reading of the captures)"],
  },
  'nat-pat': {
    name: 'nat-pat',
    title: "NAT and PAT: a study guide's home network, its table, the way back, ports kept or random",
    duration: '20 min',
    needs: ['tshark (optional: confirms the captures)'],
  },
  'nat-exhaustion-and-timeouts': {
    name: 'nat-exhaustion-and-timeouts',
    title: 'NAT limits: a quota and a pool run out, mappings time out, keep-alives, port forwarding',
    duration: '20 min',
    needs: ['tshark (optional: confirms the captures)'],
  },
  'nat-behaviours': {
    name: 'nat-behaviours',
    title: 'NAT behaviours: full cone to symmetric, UDP hole punching, hairpinning, and what STUN finds',
    duration: '20 min',
    needs: ["tshark (optional: Wireshark's reading of the captures)"],
  },
} as const satisfies Record<string, LabInfo>;

export type LabName = keyof typeof LAB_INFO;

// The L4 balancer: TCP (splice, PROXY protocol, TLS passthrough by SNI) and UDP (flow and
// per-datagram), on the balancing layer of src/balance.

export { matchesAny, parseCidr, type Cidr } from './cidr.ts';
export { L4Service, type L4Listening, type L4RunOptions } from './from-config.ts';
export { L4Metrics } from './metrics.ts';
export { hostMatches, readSni, type SniVerdict } from './sni.ts';
export { Splice, type SpliceEnd, type SpliceResult } from './splice.ts';
export { TcpBalancer, tcpConnectProbe, type TcpBalancerOptions, type TcpCluster, type TcpConnectionRecord, type TcpRoute } from './tcp-balancer.ts';
export { UdpBalancer, type UdpBalancerOptions, type UdpDropReason, type UdpStats } from './udp-balancer.ts';
export { FloatingIp, type FloatingIpOptions, type FloatingState } from './floating-ip.ts';

// The NAT layer: table (table.ts), port pools (ports.ts), packet rewriting (translate.ts), the
// translator (nat.ts), a router interface with NAT turned on (router-nat.ts), the socket-mode relay
// (socket-relay.ts) and the STUN server and client that classify both (stun/).
export * from './types.ts';
export { PortPool } from './ports.ts';
export { NatTable, Mapping, Session, TCPF, mixKey, type NatTableOptions } from './table.ts';
export { rewriteEndpoint, rewriteIcmpError, quotedDatagramAt, transportReady } from './translate.ts';
export { Nat, NAT_VERDICT, type NatVerdict, type NatOptions, type StaticForward } from './nat.ts';
export { enableNat, type RouterNatOptions } from './router-nat.ts';
export { SocketRelay, type SocketRelayOptions, type SocketRelayCounters, type RelaySocketInfo } from './socket-relay.ts';
export { StunServer, STUN_SOFTWARE, type StunServerOptions, type StunServerCounters, type StunServerEvent } from './stun/server.ts';
export {
  StunClient,
  type StunClientOptions,
  type StunClassification,
  type StunTestRecord,
  type LifetimeResult,
  type MappingResult,
  type BindingResult,
  type Endpoint,
} from './stun/client.ts';
export { dgramNetwork, netsimNetwork, type DgramNetworkOptions, type StunNetwork, type StunSocket } from './stun/transport.ts';

// The NAT layer: table (table.ts), port pools (ports.ts), packet rewriting (translate.ts), the
// translator (nat.ts), and a router interface with NAT turned on (router-nat.ts).
export * from './types.ts';
export { PortPool } from './ports.ts';
export { NatTable, Mapping, Session, TCPF, mixKey, type NatTableOptions } from './table.ts';
export { rewriteEndpoint, rewriteIcmpError, quotedDatagramAt, transportReady } from './translate.ts';
export { Nat, NAT_VERDICT, type NatVerdict, type NatOptions, type StaticForward } from './nat.ts';
export { enableNat, type RouterNatOptions } from './router-nat.ts';

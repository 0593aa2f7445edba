// The wire layer's public face: decode, encode and every layer builder.

export * from './layer.ts';
export * from './checksum.ts';
export * from './crc32.ts';
export { decode, decodeFrom, nearestLayer, MAX_LAYERS } from './decode.ts';
export { encode, payload, nearestSpec, type LayerSpec, type EmitContext } from './encode.ts';
export { HeaderIndex, L3 } from './header-index.ts';
export * from './ethernet.ts';
export * from './arp.ts';
export * from './ipv4.ts';
export * from './ipv6.ts';
export * from './icmp.ts';
export * from './icmpv6.ts';
export * from './tcp.ts';
export * from './udp.ts';
export * from './vxlan.ts';
export * from './ipv4-options.ts';
export * from './ipv4-reassembly.ts';
export * from './ipv6-ext.ts';
export * from './tcp-options.ts';
export * from './icmpv6-options.ts';
export * from './sll.ts';
export * from './null-loopback.ts';
export * from './raw-ip.ts';
export * from './dns.ts';
export * from './tls.ts';
export * from './der.ts';
export * from './x509.ts';
export * from './x509-extensions.ts';
export { rdataText } from './dns-text.ts';
export { DNS_RCODE } from './dns-types.ts';
export { DNS_TYPE } from './dns-types.ts';
export { dnsRcodeName } from './dns-types.ts';
export { dnsTypeName } from './dns-types.ts';
export type { DnsMessage } from './dns-types.ts';
export type { DnsRecord } from './dns-types.ts';
export { encodeDnsMessage } from './dns-encode.ts';
export { dnsFlags } from './dns-types.ts';
export type { EdnsClientSubnet } from './dns-types.ts';
export { decodeDnsMessage } from './dns-decode.ts';
export type { DnsQuestion } from './dns-types.ts';
export { CIPHER_SUITE_NAMES } from './tls-names.ts';
export { CONTENT_TYPE_NAMES } from './tls-names.ts';
export { GROUP_NAMES } from './tls-names.ts';
export { HANDSHAKE_TYPE_NAMES } from './tls-names.ts';
export { SIGNATURE_SCHEME_NAMES } from './tls-names.ts';
export {
  describeProxyHeader,
  encodeProxyHeader,
  parseProxyHeader,
  stripMapped,
  type ProxyHeader,
  type ProxyVerdict,
} from './proxy-protocol.ts';
export { decodeHeartbeat, encodeHeartbeat, HEARTBEAT_LENGTH, type Heartbeat, type HeartbeatVerdict } from './vrrp-heartbeat.ts';
export { masterDownMs, onAdvert, outranks, type AdvertAction, type ElectionRole, type Rank } from './vrrp-election.ts';
export * from './stun.ts';
export { HttpParser, serializeRequestHead, type HttpField } from './http.ts';

// The dns.* field names and types (as `tshark -G fields` gives them for Wireshark 4.0) that the DNS
// mapper emits, registered with the known-field table when the mapper loads. Data only.

import { registerFields } from '../known-fields.ts';
import type { FieldType } from '../filter/types.ts';

const DNS_FIELD_TABLE = `
dns.a IPv4
dns.aaaa IPv6
dns.cname STRING
dns.count.add_rr UINT16
dns.count.answers UINT16
dns.count.auth_rr UINT16
dns.count.labels UINT16
dns.count.queries UINT16
dns.flags UINT16
dns.flags.authenticated BOOLEAN
dns.flags.authoritative BOOLEAN
dns.flags.checkdisable BOOLEAN
dns.flags.conflict BOOLEAN
dns.flags.opcode UINT16
dns.flags.rcode UINT16
dns.flags.recavail BOOLEAN
dns.flags.recdesired BOOLEAN
dns.flags.response BOOLEAN
dns.flags.tentative BOOLEAN
dns.flags.truncated BOOLEAN
dns.flags.z BOOLEAN
dns.id UINT16
dns.response_to FRAMENUM
dns.retransmission BOOLEAN
dns.retransmit_request_in FRAMENUM
dns.retransmit_response_in FRAMENUM
dns.retransmit_request NONE
dns.retransmit_response NONE
dns.time RELATIVE_TIME
dns.unsolicited BOOLEAN
dns.length UINT16
dns.mx.mail_exchange STRING
dns.mx.preference UINT16
dns.ns STRING
dns.nsec.next_domain_name STRING
dns.opt NONE
dns.opt.client.addr4 IPv4
dns.opt.client.addr6 IPv6
dns.opt.client.family UINT16
dns.opt.client.netmask UINT8
dns.opt.client.scope UINT8
dns.opt.code UINT16
dns.opt.data BYTES
dns.opt.len UINT16
dns.ptr.domain_name STRING
dns.qry.class UINT16
dns.qry.name STRING
dns.qry.name.len UINT16
dns.qry.qu BOOLEAN
dns.qry.type UINT16
dns.resp.cache_flush BOOLEAN
dns.resp.class UINT16
dns.resp.edns0_version UINT8
dns.resp.ext_rcode UINT8
dns.resp.len UINT16
dns.resp.name STRING
dns.resp.ttl UINT32
dns.resp.type UINT16
dns.resp.z UINT16
dns.resp.z.do BOOLEAN
dns.resp.z.reserved UINT16
dns.rr.udp_payload_size UINT16
dns.soa.expire_limit UINT32
dns.soa.minimum_ttl UINT32
dns.soa.mname STRING
dns.soa.refresh_interval UINT32
dns.soa.retry_interval UINT32
dns.soa.rname STRING
dns.soa.serial_number UINT32
dns.srv.name STRING
dns.srv.port UINT16
dns.srv.priority UINT16
dns.srv.proto STRING
dns.srv.service STRING
dns.srv.target STRING
dns.srv.weight UINT16
dns.txt STRING
dns.txt.length UINT8
`;

const entries: Record<string, FieldType> = { dns: 'FT_PROTOCOL', mdns: 'FT_PROTOCOL', llmnr: 'FT_PROTOCOL' };
for (const line of DNS_FIELD_TABLE.split('\n')) {
  const [name, type] = line.trim().split(/\s+/);
  if (name && type) entries[name] = `FT_${type}` as FieldType;
}
registerFields(entries);

/** Every dns.* field name the mapper may emit. */
export const DNS_FIELD_NAMES: readonly string[] = Object.keys(entries).filter((n) => n.startsWith('dns.'));

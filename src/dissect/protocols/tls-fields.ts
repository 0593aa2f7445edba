// The fields of TLS handshake messages and hello extensions, named and printed as Wireshark 4.0 does
// (tls.handshake.*, tls.extension.*, tls.record_size_limit). Used by the TLS dissector (tls.ts).

import { createHash } from 'node:crypto';
import {
  ALERT_DESCRIPTION_NAMES,
  CERT_STATUS_TYPE_NAMES,
  cipherSuiteName,
  COMPRESSION_NAMES,
  EC_CURVE_TYPE_NAMES,
  EC_POINT_FORMAT_NAMES,
  EXTENSION,
  extensionName,
  groupName,
  isGrease,
  PSK_KE_MODE_NAMES,
  SERVER_NAME_TYPE_NAMES,
  versionName,
} from '../../wire/tls-names.ts';
import type {
  CertificateList,
  CertificateRequest12,
  CertificateVerify12,
  ClientHello,
  EcdheClientParams,
  EcdheServerParams,
  NewSessionTicket12,
  ServerHello,
} from '../../wire/tls-handshake.ts';
import type { TlsExtension } from '../../wire/tls-extensions.ts';
import { type Field, formatBytesHex, hex, rawField, stringField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bytesForText, noneField, textItem } from './link-fields.ts';
import { certificateTree, distinguishedNameTree, type X509Output } from './x509-fields.ts';
import { sigHashField } from './tls-sig-hash.ts';
import { isDerError, readTlv } from '../../wire/der.ts';

registerFields({
  tls: 'FT_PROTOCOL',
  'tls.record': 'FT_NONE',
  'tls.record.content_type': 'FT_UINT8',
  'tls.record.opaque_type': 'FT_UINT8',
  'tls.record.version': 'FT_UINT16',
  'tls.record.length': 'FT_UINT16',
  'tls.app_data': 'FT_BYTES',
  'tls.app_data_proto': 'FT_STRING',
  'tls.change_cipher_spec': 'FT_NONE',
  'tls.resumed': 'FT_NONE',
  'tls.alert_message': 'FT_NONE',
  'tls.alert_message.level': 'FT_UINT8',
  'tls.alert_message.desc': 'FT_UINT8',
  'tls.handshake': 'FT_NONE',
  'tls.handshake.type': 'FT_UINT8',
  'tls.handshake.length': 'FT_UINT24',
  'tls.handshake.version': 'FT_UINT16',
  'tls.handshake.random': 'FT_BYTES',
  'tls.handshake.random_time': 'FT_ABSOLUTE_TIME',
  'tls.handshake.random_bytes': 'FT_BYTES',
  'tls.handshake.session_id_length': 'FT_UINT8',
  'tls.handshake.session_id': 'FT_BYTES',
  'tls.handshake.cipher_suites_length': 'FT_UINT16',
  'tls.handshake.ciphersuites': 'FT_NONE',
  'tls.handshake.ciphersuite': 'FT_UINT16',
  'tls.handshake.comp_methods_length': 'FT_UINT8',
  'tls.handshake.comp_methods': 'FT_NONE',
  'tls.handshake.comp_method': 'FT_UINT8',
  'tls.handshake.extensions_length': 'FT_UINT16',
  'tls.handshake.extension.type': 'FT_UINT16',
  'tls.handshake.extension.len': 'FT_UINT16',
  'tls.handshake.extension.data': 'FT_BYTES',
  'tls.handshake.extensions_server_name_list_len': 'FT_UINT16',
  'tls.handshake.extensions_server_name_type': 'FT_UINT8',
  'tls.handshake.extensions_server_name_len': 'FT_UINT16',
  'tls.handshake.extensions_server_name': 'FT_STRING',
  'tls.handshake.extensions_reneg_info_len': 'FT_UINT8',
  'tls.handshake.extensions_reneg_info': 'FT_BYTES',
  'tls.handshake.extensions_supported_groups_length': 'FT_UINT16',
  'tls.handshake.extensions_supported_groups': 'FT_NONE',
  'tls.handshake.extensions_supported_group': 'FT_UINT16',
  'tls.handshake.extensions_ec_point_formats_length': 'FT_UINT8',
  'tls.handshake.extensions_ec_point_formats': 'FT_NONE',
  'tls.handshake.extensions_ec_point_format': 'FT_UINT8',
  'tls.handshake.extensions_alpn_len': 'FT_UINT16',
  'tls.handshake.extensions_alpn_list': 'FT_NONE',
  'tls.handshake.extensions_alpn_str_len': 'FT_UINT8',
  'tls.handshake.extensions_alpn_str': 'FT_STRING',
  'tls.handshake.extensions_status_request_type': 'FT_UINT8',
  'tls.handshake.extensions_status_request_responder_ids_len': 'FT_UINT16',
  'tls.handshake.extensions_status_request_exts_len': 'FT_UINT16',
  'tls.handshake.extensions_status_request_list_len': 'FT_UINT16',
  'tls.handshake.extensions_status_request_len': 'FT_UINT16',
  'tls.handshake.sig_hash_alg_len': 'FT_UINT16',
  'tls.handshake.sig_hash_algs': 'FT_NONE',
  'tls.handshake.sig_hash_alg': 'FT_UINT16',
  'tls.handshake.sig_hash_hash': 'FT_UINT8',
  'tls.handshake.sig_hash_sig': 'FT_UINT8',
  'tls.handshake.extensions.supported_versions_len': 'FT_UINT8',
  'tls.handshake.extensions.supported_version': 'FT_UINT16',
  'tls.handshake.extensions_key_share_client_length': 'FT_UINT16',
  'tls.handshake.extensions_key_share_group': 'FT_UINT16',
  'tls.handshake.extensions_key_share_key_exchange_length': 'FT_UINT16',
  'tls.handshake.extensions_key_share_key_exchange': 'FT_BYTES',
  'tls.handshake.extensions_key_share_selected_group': 'FT_UINT16',
  'tls.extension.psk_ke_modes_length': 'FT_UINT8',
  'tls.extension.psk_ke_mode': 'FT_UINT8',
  'tls.record_size_limit': 'FT_UINT16',
  'tls.handshake.extensions_padding_data': 'FT_BYTES',
  'tls.handshake.ja3_full': 'FT_STRING',
  'tls.handshake.ja3': 'FT_STRING',
  'tls.handshake.ja3s_full': 'FT_STRING',
  'tls.handshake.ja3s': 'FT_STRING',
  'tls.handshake.certificates_length': 'FT_UINT24',
  'tls.handshake.certificates': 'FT_NONE',
  'tls.handshake.certificate_length': 'FT_UINT24',
  'tls.handshake.certificate': 'FT_BYTES',
  'tls.handshake.server_curve_type': 'FT_UINT8',
  'tls.handshake.server_named_curve': 'FT_UINT16',
  'tls.handshake.server_point_len': 'FT_UINT8',
  'tls.handshake.server_point': 'FT_BYTES',
  'tls.handshake.client_point_len': 'FT_UINT8',
  'tls.handshake.client_point': 'FT_BYTES',
  'tls.handshake.sig_len': 'FT_UINT16',
  'tls.handshake.sig': 'FT_BYTES',
  'tls.handshake.session_ticket_lifetime_hint': 'FT_UINT32',
  'tls.handshake.session_ticket_length': 'FT_UINT16',
  'tls.handshake.session_ticket': 'FT_BYTES',
  'tls.handshake.cert_types_count': 'FT_UINT8',
  'tls.handshake.cert_types': 'FT_NONE',
  'tls.handshake.cert_type': 'FT_UINT8',
  'tls.handshake.dnames_len': 'FT_UINT16',
  'tls.handshake.dnames': 'FT_NONE',
  'tls.handshake.dname_len': 'FT_UINT16',
  'tls.handshake.dname': 'FT_NONE',
  'tls.handshake.client_cert_vrfy.sig_len': 'FT_UINT16',
  'tls.handshake.client_cert_vrfy.sig': 'FT_BYTES',
});

/**
 * Extension types Wireshark 4.0 dissects (or knows to be empty); any other extension shows its body
 * as `tls.handshake.extension.data`. netlab reads a subset of these; the rest show type and length.
 */
const WIRESHARK_KNOWN_EXTENSIONS = new Set([
  0, 1, 5, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 27, 28, 34, 35, 41, 42, 43, 44, 45, 47, 48, 49, 50, 51, 57, 13172, 17513, 0xffa5, 0xffce, 65281,
]);

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

export function bytesT(name: string, label: string, b: Uint8Array, offset: number, o: { generated?: boolean } = {}): Field {
  return rawField(name, label, 'bytes', b, formatBytesHex(b), offset, b.length, { text: `${label}: ${b.length === 0 ? '<MISSING>' : bytesForText(b)}`, ...o });
}

/** A uint shown as `Label: name (value)` in decimal. */
function named(
  name: string,
  label: string,
  value: number,
  table: Readonly<Record<number, string>>,
  offset: number,
  length: number,
  unknown = 'Unknown',
): Field {
  return uintDec(name, label, value, offset, length, { text: `${label}: ${table[value] ?? unknown} (${value})` });
}

/** A uint shown as `Label: name (0x....)`. */
function namedHex(name: string, label: string, value: number, text: string, digits: number, offset: number, length: number): Field {
  return uintHex(name, label, value, digits, offset, length, { text: `${label}: ${text} (${hex(value, digits)})` });
}

export function versionField(name: string, value: number, offset: number): Field {
  return namedHex(name, 'Version', value, versionName(value), 4, offset, 2);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** FT_ABSOLUTE_TIME shown in UTC, as Wireshark shows the hello's GMT time: `Mar 21, 2003 17:22:06.000000000 UTC`. */
export function utcTime(secs: number): string {
  const d = new Date(secs * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}, ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.000000000 UTC`;
}

/** Random, with GMT time and random bytes split out unless the session is TLS 1.3. */
function randomField(random: Uint8Array, offset: number, split: boolean, hrr = false): Field {
  const children: Field[] = [];
  if (split && random.length === 32) {
    const secs = ((random[0] << 24) >>> 0) + ((random[1] << 16) | (random[2] << 8) | random[3]);
    const t = utcTime(secs);
    children.push(rawField('tls.handshake.random_time', 'GMT Unix Time', 'time', secs, t, offset, 4, { text: `GMT Unix Time: ${t}` }));
    children.push(bytesT('tls.handshake.random_bytes', 'Random Bytes', random.subarray(4), offset + 4));
  }
  const magic = hrr ? ' (HelloRetryRequest magic)' : '';
  return rawField('tls.handshake.random', 'Random', 'bytes', random, formatBytesHex(random), offset, random.length, {
    text: `Random: ${formatBytesHex(random)}${magic}`,
    children,
  });
}

function sessionIdFields(len: number, id: Uint8Array, at: number): Field[] {
  const out = [uintDec('tls.handshake.session_id_length', 'Session ID Length', len, at, 1)];
  if (len > 0)
    out.push(
      rawField('tls.handshake.session_id', 'Session ID', 'bytes', id, formatBytesHex(id), at + 1, id.length, { text: `Session ID: ${formatBytesHex(id)}` }),
    );
  return out;
}

function cipherSuiteField(v: number, offset: number): Field {
  return namedHex('tls.handshake.ciphersuite', 'Cipher Suite', v, cipherSuiteName(v), 4, offset, 2);
}

function extensionFields(e: TlsExtension, hello: 'client' | 'server' | 'hrr'): Field[] {
  const d = e.dataOffset;
  const body = e.body;
  const out: Field[] = [];
  switch (body.kind) {
    case 'server_name': {
      if (body.listLength === undefined) return out;
      const kids: Field[] = [uintDec('tls.handshake.extensions_server_name_list_len', 'Server Name list length', body.listLength, d, 2)];
      for (const n of body.names) {
        kids.push(named('tls.handshake.extensions_server_name_type', 'Server Name Type', n.type, SERVER_NAME_TYPE_NAMES, n.offset, 1));
        kids.push(uintDec('tls.handshake.extensions_server_name_len', 'Server Name length', n.length, n.offset + 1, 2));
        kids.push(
          stringField('tls.handshake.extensions_server_name', 'Server Name', n.name, n.offset + 3, n.name.length, {
            text: stringText('Server Name', n.name, false),
          }),
        );
      }
      out.push(textItem('Server Name Indication extension', d, e.available, kids));
      return out;
    }
    case 'alpn': {
      out.push(uintDec('tls.handshake.extensions_alpn_len', 'ALPN Extension Length', body.listLength, d, 2));
      const kids: Field[] = [];
      for (const p of body.protocols) {
        kids.push(uintDec('tls.handshake.extensions_alpn_str_len', 'ALPN string length', p.length, p.offset, 1));
        kids.push(stringField('tls.handshake.extensions_alpn_str', 'ALPN Next Protocol', p.name, p.offset + 1, p.name.length));
      }
      out.push(noneField('tls.handshake.extensions_alpn_list', 'ALPN Protocol', d + 2, body.listLength, { text: 'ALPN Protocol', children: kids }));
      return out;
    }
    case 'supported_versions': {
      if (body.listLength !== undefined)
        out.push(uintDec('tls.handshake.extensions.supported_versions_len', 'Supported Versions length', body.listLength, d, 1));
      const base = body.listLength !== undefined ? d + 1 : d;
      body.versions.forEach((v, i) =>
        out.push(namedHex('tls.handshake.extensions.supported_version', 'Supported Version', v, versionName(v), 4, base + 2 * i, 2)),
      );
      return out;
    }
    case 'supported_groups': {
      out.push(uintDec('tls.handshake.extensions_supported_groups_length', 'Supported Groups List Length', body.listLength, d, 2));
      const kids = body.groups.map((g, i) => namedHex('tls.handshake.extensions_supported_group', 'Supported Group', g, groupName(g), 4, d + 2 + 2 * i, 2));
      out.push(
        noneField('tls.handshake.extensions_supported_groups', 'Supported Groups List', d + 2, body.listLength, {
          text: `Supported Groups (${body.groups.length} ${plural(body.groups.length, 'group', 'groups')})`,
          children: kids,
        }),
      );
      return out;
    }
    case 'ec_point_formats': {
      out.push(uintDec('tls.handshake.extensions_ec_point_formats_length', 'EC point formats Length', body.listLength, d, 1));
      const kids = body.formats.map((f, i) => named('tls.handshake.extensions_ec_point_format', 'EC point format', f, EC_POINT_FORMAT_NAMES, d + 1 + i, 1));
      out.push(
        noneField('tls.handshake.extensions_ec_point_formats', 'EC point formats', d + 1, body.listLength, {
          text: `Elliptic curves point formats (${body.formats.length})`,
          children: kids,
        }),
      );
      return out;
    }
    case 'signature_algorithms': {
      out.push(uintDec('tls.handshake.sig_hash_alg_len', 'Signature Hash Algorithms Length', body.listLength, d, 2));
      const kids = body.schemes.map((s, i) => sigHashField(s, d + 2 + 2 * i));
      out.push(
        noneField('tls.handshake.sig_hash_algs', 'Signature Algorithms', d + 2, body.listLength, {
          text: `Signature Hash Algorithms (${body.schemes.length} ${plural(body.schemes.length, 'algorithm', 'algorithms')})`,
          children: kids,
        }),
      );
      return out;
    }
    case 'psk_key_exchange_modes': {
      out.push(uintDec('tls.extension.psk_ke_modes_length', 'PSK Key Exchange Modes Length', body.listLength, d, 1));
      body.modes.forEach((m, i) => out.push(named('tls.extension.psk_ke_mode', 'PSK Key Exchange Mode', m, PSK_KE_MODE_NAMES, d + 1 + i, 1)));
      return out;
    }
    case 'key_share': {
      if (hello === 'hrr') {
        const g = body.selectedGroup ?? 0;
        out.push(
          textItem('Key Share extension', d, e.available, [
            uintDec('tls.handshake.extensions_key_share_selected_group', 'Selected Group', g, d, 2, { text: `Selected Group: ${groupName(g)} (${g})` }),
          ]),
        );
        return out;
      }
      const kids: Field[] = [];
      if (body.clientLength !== undefined)
        kids.push(uintDec('tls.handshake.extensions_key_share_client_length', 'Client Key Share Length', body.clientLength, d, 2));
      for (const k of body.entries) {
        const text = `Key Share Entry: Group: ${groupName(k.group)}, Key Exchange length: ${k.keyLength}`;
        kids.push(
          textItem(text, k.offset, 4 + k.key.length, [
            uintDec('tls.handshake.extensions_key_share_group', 'Group', k.group, k.offset, 2, { text: `Group: ${groupName(k.group)} (${k.group})` }),
            uintDec('tls.handshake.extensions_key_share_key_exchange_length', 'Key Exchange Length', k.keyLength, k.offset + 2, 2),
            bytesT('tls.handshake.extensions_key_share_key_exchange', 'Key Exchange', k.key, k.offset + 4),
          ]),
        );
      }
      out.push(textItem('Key Share extension', d, e.available, kids));
      return out;
    }
    case 'status_request': {
      out.push(named('tls.handshake.extensions_status_request_type', 'Certificate Status Type', body.statusType, CERT_STATUS_TYPE_NAMES, d, 1));
      if (body.responderIdsLength !== undefined)
        out.push(uintDec('tls.handshake.extensions_status_request_responder_ids_len', 'Responder ID list Length', body.responderIdsLength, d + 1, 2));
      if (body.extensionsLength !== undefined)
        out.push(
          uintDec(
            'tls.handshake.extensions_status_request_exts_len',
            'Request Extensions Length',
            body.extensionsLength,
            d + 3 + (body.responderIdsLength ?? 0),
            2,
          ),
        );
      return out;
    }
    case 'status_request_v2': {
      out.push(uintDec('tls.handshake.extensions_status_request_list_len', 'Certificate Status List Length', body.listLength, d, 2));
      for (const it of body.items) {
        out.push(named('tls.handshake.extensions_status_request_type', 'Certificate Status Type', it.statusType, CERT_STATUS_TYPE_NAMES, it.offset, 1));
        out.push(uintDec('tls.handshake.extensions_status_request_len', 'Certificate Status Length', it.length, it.offset + 1, 2));
        if (it.responderIdsLength !== undefined)
          out.push(uintDec('tls.handshake.extensions_status_request_responder_ids_len', 'Responder ID list Length', it.responderIdsLength, it.offset + 3, 2));
        if (it.extensionsLength !== undefined)
          out.push(
            uintDec(
              'tls.handshake.extensions_status_request_exts_len',
              'Request Extensions Length',
              it.extensionsLength,
              it.offset + 5 + (it.responderIdsLength ?? 0),
              2,
            ),
          );
      }
      return out;
    }
    case 'renegotiation_info': {
      const kids: Field[] = [uintDec('tls.handshake.extensions_reneg_info_len', 'Renegotiation info extension length', body.length, d, 1)];
      if (body.length > 0) kids.push(bytesT('tls.handshake.extensions_reneg_info', 'Renegotiation info', body.info, d + 1));
      out.push(textItem('Renegotiation Info extension', d, e.available, kids));
      return out;
    }
    case 'record_size_limit':
      out.push(uintDec('tls.record_size_limit', 'Record Size Limit', body.limit, d, 2));
      return out;
    case 'padding':
      out.push(bytesT('tls.handshake.extensions_padding_data', 'Padding Data', body.data, d));
      return out;
    case 'empty':
      return out;
    case 'raw':
      if (e.type === EXTENSION.sessionTicket || !WIRESHARK_KNOWN_EXTENSIONS.has(e.type)) {
        // session_ticket's body is shown by its size, an unknown extension's by its bytes.
        const text =
          e.type === EXTENSION.sessionTicket
            ? `Data (${e.data.length} ${plural(e.data.length, 'byte', 'bytes')})`
            : `Data: ${e.data.length === 0 ? '<MISSING>' : bytesForText(e.data)}`;
        out.push(
          rawField('tls.handshake.extension.data', 'Data', 'bytes', e.data, e.data.length === 0 ? '<MISSING>' : formatBytesHex(e.data), d, e.data.length, {
            text,
          }),
        );
      }
      return out;
  }
}

/** The extensions block: length, then `Extension: NAME (len=N)` subtrees. */
export function extensionsFields(length: number | undefined, at: number, exts: readonly TlsExtension[], hello: 'client' | 'server' | 'hrr'): Field[] {
  if (length === undefined) return [];
  const out: Field[] = [uintDec('tls.handshake.extensions_length', 'Extensions Length', length, at, 2)];
  for (const e of exts) {
    const name = extensionName(e.type);
    const typeText = name === 'Unknown' ? `Unknown (${e.type})` : `${name} (${e.type})`;
    const head = name === 'Unknown' ? `Unknown type ${e.type}` : name;
    const kids: Field[] = [
      uintDec('tls.handshake.extension.type', 'Type', e.type, e.offset, 2, { text: `Type: ${typeText}` }),
      uintDec('tls.handshake.extension.len', 'Length', e.length, e.offset + 2, 2),
      ...extensionFields(e, hello),
    ];
    out.push(textItem(`Extension: ${head} (len=${e.length})`, e.offset, 4 + e.available, kids));
  }
  return out;
}

/**
 * The -V text of a string field as Wireshark prints it: a label over 239 characters is cut there and
 * marked ` [truncated]` after the field's name (generated fields count their opening bracket).
 */
function stringText(label: string, value: string, generated: boolean): string {
  const open = generated ? '[' : '';
  const close = generated ? ']' : '';
  const full = `${open}${label}: ${value}`;
  if (full.length <= 239) return `${full}${close}`;
  return `${`${open}${label} [truncated]: ${value}`.slice(0, 239)}${close}`;
}

function generatedString(name: string, label: string, value: string): Field {
  return stringField(name, label, value, 0, 0, { generated: true, text: stringText(label, value, true) });
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const noGrease = (xs: readonly number[]): number[] => xs.filter((x) => !isGrease(x));

/** The ClientHello's fields (after type and length). `splitRandom` is false in a TLS 1.3 session. */
export function clientHelloFields(h: ClientHello, start: number, splitRandom: boolean): Field[] {
  const out: Field[] = [versionField('tls.handshake.version', h.version, start)];
  if (h.random.length === 32) out.push(randomField(h.random, start + 2, splitRandom));
  const ok = (at: number, len: number): boolean => at >= 0 && (h.error === undefined || at + len <= h.error.offset);
  if (!ok(h.at.sessionIdLength, 1 + h.sessionIdLength)) return out;
  out.push(...sessionIdFields(h.sessionIdLength, h.sessionId, h.at.sessionIdLength));
  if (!ok(h.at.cipherSuitesLength, 2)) return out;
  const cs = h.at.cipherSuitesLength;
  out.push(uintDec('tls.handshake.cipher_suites_length', 'Cipher Suites Length', h.cipherSuitesLength, cs, 2));
  const n = h.cipherSuites.length;
  out.push(
    noneField('tls.handshake.ciphersuites', 'Cipher Suites', cs + 2, h.cipherSuitesLength, {
      text: `Cipher Suites (${n} ${plural(n, 'suite', 'suites')})`,
      children: h.cipherSuites.map((s, i) => cipherSuiteField(s, cs + 2 + 2 * i)),
    }),
  );
  if (!ok(h.at.compressionMethodsLength, 1)) return out;
  const cm = h.at.compressionMethodsLength;
  out.push(uintDec('tls.handshake.comp_methods_length', 'Compression Methods Length', h.compressionMethodsLength, cm, 1));
  const m = h.compressionMethods.length;
  out.push(
    noneField('tls.handshake.comp_methods', 'Compression Methods', cm + 1, h.compressionMethodsLength, {
      text: `Compression Methods (${m} ${plural(m, 'method', 'methods')})`,
      children: h.compressionMethods.map((c, i) => named('tls.handshake.comp_method', 'Compression Method', c, COMPRESSION_NAMES, cm + 1 + i, 1)),
    }),
  );
  out.push(...extensionsFields(h.extensionsLength, h.at.extensionsLength, h.extensions, 'client'));
  if (h.error === undefined) {
    const groups = h.extensions.find((e) => e.type === EXTENSION.supportedGroups)?.body;
    const formats = h.extensions.find((e) => e.type === EXTENSION.ecPointFormats)?.body;
    const full = [
      h.version,
      noGrease(h.cipherSuites).join('-'),
      noGrease(h.extensions.map((e) => e.type)).join('-'),
      groups?.kind === 'supported_groups' ? noGrease(groups.groups).join('-') : '',
      formats?.kind === 'ec_point_formats' ? formats.formats.join('-') : '',
    ].join(',');
    out.push(generatedString('tls.handshake.ja3_full', 'JA3 Fullstring', full));
    out.push(generatedString('tls.handshake.ja3', 'JA3', md5(full)));
  }
  return out;
}

/** The ServerHello's (or HelloRetryRequest's) fields. */
export function serverHelloFields(h: ServerHello, start: number, splitRandom: boolean): Field[] {
  const out: Field[] = [versionField('tls.handshake.version', h.version, start)];
  if (h.random.length === 32) out.push(randomField(h.random, start + 2, splitRandom && !h.helloRetryRequest, h.helloRetryRequest));
  const ok = (at: number, len: number): boolean => at >= 0 && (h.error === undefined || at + len <= h.error.offset);
  if (!ok(h.at.sessionIdLength, 1 + h.sessionIdLength)) return out;
  out.push(...sessionIdFields(h.sessionIdLength, h.sessionId, h.at.sessionIdLength));
  if (!ok(h.at.cipherSuite, 2)) return out;
  out.push(cipherSuiteField(h.cipherSuite, h.at.cipherSuite));
  if (!ok(h.at.compressionMethod, 1)) return out;
  out.push(named('tls.handshake.comp_method', 'Compression Method', h.compressionMethod, COMPRESSION_NAMES, h.at.compressionMethod, 1));
  out.push(...extensionsFields(h.extensionsLength, h.at.extensionsLength, h.extensions, h.helloRetryRequest ? 'hrr' : 'server'));
  if (h.error === undefined) {
    const full = [h.version, h.cipherSuite, noGrease(h.extensions.map((e) => e.type)).join('-')].join(',');
    out.push(generatedString('tls.handshake.ja3s_full', 'JA3S Fullstring', full));
    out.push(generatedString('tls.handshake.ja3s', 'JA3S', md5(full)));
  }
  return out;
}

/**
 * The Certificate message: each certificate's DER, with its X.509 tree beneath it (x509-fields.ts);
 * `out.layers` gathers the protocols that tree reached. As in Wireshark, the certificate item spans
 * the DER's own length, read within [.., `bound`): a DER longer than that ends the dissection
 * (`out.exception`) before the item is shown.
 */
export function certificateFields(c: CertificateList, b: Uint8Array, bound: number, out: X509Output): Field[] {
  const at = c.at.certificatesLength;
  const fields: Field[] = [uintDec('tls.handshake.certificates_length', 'Certificates Length', c.certificatesLength, at, 3)];
  const kids: Field[] = [];
  for (const cert of c.certificates) {
    kids.push(uintDec('tls.handshake.certificate_length', 'Certificate Length', cert.length, cert.offset, 3));
    const start = cert.offset + 3;
    const t = readTlv(b, start, bound);
    if (isDerError(t)) {
      out.exception = { offset: start, reason: `Certificate: ${t.reason}` };
      break;
    }
    const f = bytesT('tls.handshake.certificate', 'Certificate', b.slice(start, t.end), start);
    const tree = certificateTree(b, start, t.end, out, bound);
    f.children = tree.fields;
    if (tree.subject !== '') f.text = `${f.text} (${tree.subject})`;
    kids.push(f);
    if (out.exception !== undefined) break;
  }
  fields.push(
    noneField('tls.handshake.certificates', 'Certificates', at + 3, c.certificatesLength, {
      text: `Certificates (${c.certificatesLength} bytes)`,
      children: kids,
    }),
  );
  return fields;
}

export function ecdheServerFields(p: EcdheServerParams, start: number): Field[] {
  const kids: Field[] = [
    uintHex('tls.handshake.server_curve_type', 'Curve Type', p.curveType, 2, start, 1, {
      text: `Curve Type: ${EC_CURVE_TYPE_NAMES[p.curveType] ?? 'Unknown'} (${hex(p.curveType, 2)})`,
    }),
    namedHex('tls.handshake.server_named_curve', 'Named Curve', p.namedCurve, groupName(p.namedCurve), 4, start + 1, 2),
    uintDec('tls.handshake.server_point_len', 'Pubkey Length', p.pointLength, start + 3, 1),
    bytesT('tls.handshake.server_point', 'Pubkey', p.point, p.at.point),
  ];
  if (p.signatureScheme !== undefined) kids.push(sigHashField(p.signatureScheme, p.at.signatureScheme));
  if (p.signatureLength !== undefined) kids.push(uintDec('tls.handshake.sig_len', 'Signature Length', p.signatureLength, p.at.signatureLength, 2));
  if (p.signature !== undefined) kids.push(bytesT('tls.handshake.sig', 'Signature', p.signature, p.at.signatureLength + 2));
  return [textItem('EC Diffie-Hellman Server Params', start, 0, kids)];
}

export function ecdheClientFields(p: EcdheClientParams, start: number): Field[] {
  return [
    textItem('EC Diffie-Hellman Client Params', start, 1 + p.point.length, [
      uintDec('tls.handshake.client_point_len', 'Pubkey Length', p.pointLength, start, 1),
      bytesT('tls.handshake.client_point', 'Pubkey', p.point, start + 1),
    ]),
  ];
}

/** `300 seconds (5 minutes)`, Wireshark's wording for a ticket lifetime hint. */
function lifetimeText(s: number): string {
  if (s === 0) return '0 seconds (unspecified)';
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) parts.push(`${d} ${plural(d, 'day', 'days')}`);
  if (h) parts.push(`${h} ${plural(h, 'hour', 'hours')}`);
  if (m) parts.push(`${m} ${plural(m, 'minute', 'minutes')}`);
  if (sec) parts.push(`${sec} ${plural(sec, 'second', 'seconds')}`);
  return `${s} seconds (${parts.join(', ')})`;
}

export function sessionTicketFields(t: NewSessionTicket12, start: number): Field[] {
  return [
    textItem('TLS Session Ticket', start, 6 + t.ticket.length, [
      uintDec('tls.handshake.session_ticket_lifetime_hint', 'Session Ticket Lifetime Hint', t.lifetimeHint, start, 4, {
        text: `Session Ticket Lifetime Hint: ${lifetimeText(t.lifetimeHint)}`,
      }),
      uintDec('tls.handshake.session_ticket_length', 'Session Ticket Length', t.ticketLength, start + 4, 2),
      bytesT('tls.handshake.session_ticket', 'Session Ticket', t.ticket, start + 6),
    ]),
  ];
}

const CERT_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'RSA Sign',
  2: 'DSS Sign',
  3: 'RSA Fixed DH',
  4: 'DSS Fixed DH',
  64: 'ECDSA Sign',
  65: 'RSA Fixed ECDH',
  66: 'ECDSA Fixed ECDH',
};

export function certificateRequestFields(c: CertificateRequest12, start: number, b: Uint8Array, x509: X509Output): Field[] {
  const n = c.certTypes.length;
  const out: Field[] = [
    uintDec('tls.handshake.cert_types_count', 'Certificate types count', c.certTypesCount, start, 1),
    noneField('tls.handshake.cert_types', 'Certificate types', start + 1, c.certTypesCount, {
      text: `Certificate types (${n} ${plural(n, 'type', 'types')})`,
      children: c.certTypes.map((t, i) => named('tls.handshake.cert_type', 'Certificate type', t, CERT_TYPE_NAMES, start + 1 + i, 1)),
    }),
  ];
  if (c.signatureSchemesLength !== undefined) {
    const at = c.at.signatureSchemesLength;
    const m = c.signatureSchemes.length;
    out.push(uintDec('tls.handshake.sig_hash_alg_len', 'Signature Hash Algorithms Length', c.signatureSchemesLength, at, 2));
    out.push(
      noneField('tls.handshake.sig_hash_algs', 'Signature Algorithms', at + 2, c.signatureSchemesLength, {
        text: `Signature Hash Algorithms (${m} ${plural(m, 'algorithm', 'algorithms')})`,
        children: c.signatureSchemes.map((v, i) => sigHashField(v, at + 2 + 2 * i)),
      }),
    );
  }
  const at = c.at.distinguishedNamesLength;
  if (at < 0 || (c.error !== undefined && c.error.offset < at + 2)) return out;
  out.push(uintDec('tls.handshake.dnames_len', 'Distinguished Names Length', c.distinguishedNamesLength, at, 2));
  const kids: Field[] = [];
  for (const d of c.distinguishedNames) {
    kids.push(uintDec('tls.handshake.dname_len', 'Distinguished Name Length', d.length, d.offset, 2));
    const dn = d.der.length === d.length ? distinguishedNameTree(b, d.offset + 2, d.offset + 2 + d.length, x509) : [];
    kids.push(noneField('tls.handshake.dname', 'Distinguished Name', d.offset + 2, d.der.length, { text: 'Distinguished Name', children: dn }));
  }
  if (c.distinguishedNamesLength > 0)
    out.push(
      noneField('tls.handshake.dnames', 'Distinguished Names', at + 2, c.distinguishedNamesLength, {
        text: `Distinguished Names (${c.distinguishedNamesLength} ${plural(c.distinguishedNamesLength, 'byte', 'bytes')})`,
        children: kids,
      }),
    );
  return out;
}

export function certificateVerifyFields(v: CertificateVerify12, start: number): Field[] {
  const out: Field[] = [];
  if (v.signatureScheme !== undefined) out.push(sigHashField(v.signatureScheme, start));
  if (v.error !== undefined && v.error.offset < v.at.signatureLength + 2) return out;
  out.push(uintDec('tls.handshake.client_cert_vrfy.sig_len', 'Signature length', v.signatureLength, v.at.signatureLength, 2));
  out.push(bytesT('tls.handshake.client_cert_vrfy.sig', 'Signature', v.signature, v.at.signatureLength + 2));
  return out;
}

/** The alert's level and description. */
export function alertFields(level: number, desc: number, at: number): Field[] {
  return [
    named('tls.alert_message.level', 'Level', level, { 1: 'Warning', 2: 'Fatal' }, at, 1),
    named('tls.alert_message.desc', 'Description', desc, ALERT_DESCRIPTION_NAMES, at + 1, 1),
  ];
}

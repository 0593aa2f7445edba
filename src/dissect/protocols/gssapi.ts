// GSS-API initial context tokens (RFC 2743 section 3.1) as Wireshark 4.0 shows them inside another
// protocol's tree (LDAP's SASL bind credentials): the mechanism OID, then for SPNEGO (RFC 4178) the
// negTokenInit (mechTypes, mechToken), and for a Kerberos mechToken (RFC 1964/4121) the krb5 blob
// (OID, token id) holding the Kerberos message; an AP-REQ (RFC 4120 section 5.5.1) is shown with its
// ticket and authenticator (the encrypted parts stay bytes). Each protocol reached is listed in
// frame.protocols after the caller's (gss-api, spnego, spnego-krb5), as Wireshark lists them;
// Kerberos, called as a function, is not.

import type { DerTlv } from '../../wire/der.ts';
import { decodeOid } from '../../wire/der.ts';
import { bool, type Field, labelField, rawField, stringField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { BerProblem, berBytes, berInt, berText, children, expect, tlv } from './ldap-ber.ts';
import { bitPattern } from './link-fields.ts';

registerFields({
  'gss-api': 'FT_PROTOCOL',
  spnego: 'FT_PROTOCOL',
  'spnego-krb5': 'FT_PROTOCOL',
  kerberos: 'FT_PROTOCOL',
  'gss-api.OID': 'FT_STRING',
  'spnego.negTokenInit_element': 'FT_NONE',
  'spnego.mechTypes': 'FT_UINT32',
  'spnego.MechType': 'FT_OID',
  'spnego.mechToken': 'FT_BYTES',
  'spnego.krb5.blob': 'FT_BYTES',
  'spnego.krb5_oid': 'FT_STRING',
  'spnego.krb5.tok_id': 'FT_UINT16',
  'kerberos.ap_req_element': 'FT_NONE',
  'kerberos.pvno': 'FT_UINT32',
  'kerberos.msg_type': 'FT_INT32',
  'ber.bitstring.padding': 'FT_UINT8',
  'kerberos.ap_options': 'FT_BYTES',
  'kerberos.APOptions.reserved': 'FT_BOOLEAN',
  'kerberos.APOptions.use.session.key': 'FT_BOOLEAN',
  'kerberos.APOptions.mutual.required': 'FT_BOOLEAN',
  'kerberos.ticket_element': 'FT_NONE',
  'kerberos.tkt_vno': 'FT_UINT32',
  'kerberos.realm': 'FT_STRING',
  'kerberos.sname_element': 'FT_NONE',
  'kerberos.name_type': 'FT_INT32',
  'kerberos.sname_string': 'FT_UINT32',
  'kerberos.SNameString': 'FT_STRING',
  'kerberos.enc_part_element': 'FT_NONE',
  'kerberos.authenticator_element': 'FT_NONE',
  'kerberos.etype': 'FT_INT32',
  'kerberos.kvno': 'FT_UINT32',
  'kerberos.cipher': 'FT_BYTES',
});

const UNIVERSAL = 0;
const APPLICATION = 1;
const CONTEXT = 2;
const SPNEGO_OID = '1.3.6.1.5.5.2';
const KRB5_OID = '1.2.840.113554.1.2.2';
const MS_KRB5_OID = '1.2.840.48018.1.2.2';

/** The mechanism names Wireshark shows beside these OIDs. */
const MECH_NAMES: Readonly<Record<string, string>> = {
  [SPNEGO_OID]: 'SPNEGO - Simple Protected Negotiation',
  [KRB5_OID]: 'KRB5 - Kerberos 5',
  [MS_KRB5_OID]: 'MS KRB5 - Microsoft Kerberos 5',
  '1.3.6.1.4.1.311.2.2.10': 'NTLMSSP - Microsoft NTLM Security Support Provider',
  '1.2.840.113554.1.2.2.3': 'KRB5 - Kerberos 5 - User to User',
  '1.3.6.1.4.1.311.2.2.30': 'NEGOEX - SPNEGO Extended Negotiation Security Mechanism',
};

const KRB5_TOKEN_IDS: Readonly<Record<number, string>> = {
  0x0001: 'KRB5_AP_REQ',
  0x0002: 'KRB5_AP_REP',
  0x0003: 'KRB5_ERROR',
  0x0101: 'KRB5_GSS_GetMIC',
  0x0201: 'KRB5_GSS_Wrap',
  0x0102: 'KRB5_GSS_Delete_sec_context',
};

const KRB_MSG_TYPES: Readonly<Record<number, string>> = {
  10: 'krb-as-req',
  11: 'krb-as-rep',
  12: 'krb-tgs-req',
  13: 'krb-tgs-rep',
  14: 'krb-ap-req',
  15: 'krb-ap-rep',
  20: 'krb-safe',
  21: 'krb-priv',
  22: 'krb-cred',
  30: 'krb-error',
};

const NAME_TYPES: Readonly<Record<number, string>> = {
  0: 'kRB5-NT-UNKNOWN',
  1: 'kRB5-NT-PRINCIPAL',
  2: 'kRB5-NT-SRV-INST',
  3: 'kRB5-NT-SRV-HST',
  4: 'kRB5-NT-SRV-XHST',
  5: 'kRB5-NT-UID',
  6: 'kRB5-NT-X500-PRINCIPAL',
  7: 'kRB5-NT-SMTP-NAME',
  10: 'kRB5-NT-ENTERPRISE-PRINCIPAL',
};

const ETYPES: Readonly<Record<number, string>> = {
  1: 'eTYPE-DES-CBC-CRC',
  2: 'eTYPE-DES-CBC-MD4',
  3: 'eTYPE-DES-CBC-MD5',
  16: 'eTYPE-DES3-CBC-SHA1',
  17: 'eTYPE-AES128-CTS-HMAC-SHA1-96',
  18: 'eTYPE-AES256-CTS-HMAC-SHA1-96',
  23: 'eTYPE-ARCFOUR-HMAC-MD5',
  24: 'eTYPE-ARCFOUR-HMAC-MD5-56',
};

const AP_OPTIONS: readonly { mask: number; name: string; field: string }[] = [
  { mask: 0x80, name: 'reserved', field: 'kerberos.APOptions.reserved' },
  { mask: 0x40, name: 'use-session-key', field: 'kerberos.APOptions.use.session.key' },
  { mask: 0x20, name: 'mutual-required', field: 'kerberos.APOptions.mutual.required' },
];

function oidOf(b: Uint8Array, t: DerTlv, what: string): string {
  const oid = decodeOid(b, t.contentOffset, t.end);
  if (oid === undefined) throw new BerProblem(t.offset, `${what}: bad object identifier`);
  return oid;
}

function oidText(oid: string): string {
  const name = MECH_NAMES[oid];
  return name !== undefined ? `${oid} (${name})` : oid;
}

/** The `[n]` explicitly tagged values of a SEQUENCE, by tag, each unwrapped to the value inside. */
function tagged(b: Uint8Array, seq: DerTlv, what: string): Map<number, DerTlv> {
  const out = new Map<number, DerTlv>();
  for (const c of children(b, seq, what)) if (c.cls === CONTEXT && c.constructed) out.set(c.tag, tlv(b, c.contentOffset, c.end, what));
  return out;
}

function intItem(name: string, label: string, b: Uint8Array, t: DerTlv | undefined, names?: Readonly<Record<number, string>>): Field[] {
  if (t === undefined) return [];
  const v = berInt(b, t, label);
  const o = names !== undefined ? { text: `${label}: ${names[v] ?? 'Unknown'} (${v})` } : undefined;
  return [v < 0 ? rawField(name, label, 'int', v, String(v), t.contentOffset, t.length, o) : uintDec(name, label, v, t.contentOffset, t.length, o)];
}

function encryptedData(b: Uint8Array, t: DerTlv, element: string, label: string): Field {
  const m = tagged(b, t, label);
  const cipher = m.get(2);
  return labelField(element, label, t.contentOffset, t.length, {
    text: label,
    children: [
      ...intItem('kerberos.etype', 'etype', b, m.get(0), ETYPES),
      ...intItem('kerberos.kvno', 'kvno', b, m.get(1)),
      ...(cipher !== undefined ? [berBytes('kerberos.cipher', 'cipher', b, cipher.contentOffset, cipher.length)] : []),
    ],
  });
}

/** A Kerberos AP-REQ ([APPLICATION 14]); other messages are not dissected here. */
function kerberos(b: Uint8Array, at: number, end: number): Field | undefined {
  const app = tlv(b, at, end, 'Kerberos');
  if (app.cls !== APPLICATION || app.tag !== 14) return undefined;
  const seq = expect(b, app.contentOffset, app.end, UNIVERSAL, 16, 'ap-req');
  const m = tagged(b, seq, 'ap-req');
  const kids: Field[] = [...intItem('kerberos.pvno', 'pvno', b, m.get(0)), ...intItem('kerberos.msg_type', 'msg-type', b, m.get(1), KRB_MSG_TYPES)];
  const opts = m.get(2);
  if (opts !== undefined && opts.length >= 1) {
    const pad = b[opts.contentOffset];
    kids.push(uintDec('ber.bitstring.padding', 'Padding', pad, opts.contentOffset, 1));
    const first = opts.length > 1 ? b[opts.contentOffset + 1] : 0;
    kids.push(
      berBytes('kerberos.ap_options', 'ap-options', b, opts.contentOffset + 1, opts.length - 1, {
        children: AP_OPTIONS.map((o) =>
          bool(o.field, o.name, (first & o.mask) !== 0, opts.contentOffset + 1, 1, {
            text: `${bitPattern(first, o.mask, 8)} = ${o.name}: ${(first & o.mask) !== 0 ? 'True' : 'False'}`,
          }),
        ),
      }),
    );
  }
  const ticketApp = m.get(3);
  if (ticketApp !== undefined) {
    const ticket = expect(b, ticketApp.contentOffset, ticketApp.end, UNIVERSAL, 16, 'ticket');
    const tm = tagged(b, ticket, 'ticket');
    const tk: Field[] = [...intItem('kerberos.tkt_vno', 'tkt-vno', b, tm.get(0))];
    const realm = tm.get(1);
    if (realm !== undefined) tk.push(stringField('kerberos.realm', 'realm', berText(b, realm), realm.contentOffset, realm.length));
    const sname = tm.get(2);
    if (sname !== undefined) {
      const sm = tagged(b, sname, 'sname');
      const names = sm.get(1);
      const strings = names !== undefined ? children(b, names, 'sname-string') : [];
      tk.push(
        labelField('kerberos.sname_element', 'sname', sname.contentOffset, sname.length, {
          text: 'sname',
          children: [
            ...intItem('kerberos.name_type', 'name-type', b, sm.get(0), NAME_TYPES),
            ...(names !== undefined
              ? [
                  uintDec('kerberos.sname_string', 'sname-string', strings.length, names.contentOffset, names.length, {
                    text: `sname-string: ${strings.length} item${strings.length === 1 ? '' : 's'}`,
                    children: strings.map((s) => stringField('kerberos.SNameString', 'SNameString', berText(b, s), s.contentOffset, s.length)),
                  }),
                ]
              : []),
          ],
        }),
      );
    }
    const enc = tm.get(3);
    if (enc !== undefined) tk.push(encryptedData(b, enc, 'kerberos.enc_part_element', 'enc-part'));
    kids.push(labelField('kerberos.ticket_element', 'ticket', ticket.contentOffset, ticket.length, { text: 'ticket', children: tk }));
  }
  const auth = m.get(4);
  if (auth !== undefined) kids.push(encryptedData(b, auth, 'kerberos.authenticator_element', 'authenticator'));
  return labelField('kerberos', 'Kerberos', app.offset, app.end - app.offset, {
    text: 'Kerberos',
    children: [labelField('kerberos.ap_req_element', 'ap-req', seq.contentOffset, seq.length, { text: 'ap-req', children: kids })],
  });
}

/** The krb5 GSS token inside SPNEGO's mechToken: OID, token id, and the Kerberos message. */
function krb5Blob(b: Uint8Array, t: DerTlv): Field {
  const kids: Field[] = [];
  const app = tlv(b, t.contentOffset, t.end, 'krb5_blob');
  if (app.cls === APPLICATION && app.tag === 0) {
    const oidT = expect(b, app.contentOffset, app.end, UNIVERSAL, 6, 'KRB5 OID');
    const oid = oidOf(b, oidT, 'KRB5 OID');
    kids.push(stringField('spnego.krb5_oid', 'KRB5 OID', oid, oidT.contentOffset, oidT.length, { text: `KRB5 OID: ${oidText(oid)}` }));
    if (oidT.end + 2 <= app.end) {
      // The token id is read little-endian, as Wireshark reads it.
      const id = b[oidT.end] | (b[oidT.end + 1] << 8);
      kids.push(
        uintHex('spnego.krb5.tok_id', 'krb5_tok_id', id, 4, oidT.end, 2, {
          text: `krb5_tok_id: ${KRB5_TOKEN_IDS[id] ?? 'Unknown'} (0x${id.toString(16).padStart(4, '0')})`,
        }),
      );
      if (oidT.end + 2 < app.end) {
        const k = kerberos(b, oidT.end + 2, app.end);
        if (k !== undefined) kids.push(k);
      }
    }
  }
  return berBytes('spnego.krb5.blob', 'krb5_blob', b, t.contentOffset, t.length, { children: kids });
}

/** SPNEGO's negTokenInit: mechTypes and mechToken (a Kerberos one as its krb5 blob). */
function spnego(b: Uint8Array, at: number, end: number, layers: string[]): Field {
  const choice = tlv(b, at, end, 'SPNEGO');
  const kids: Field[] = [];
  if (choice.cls === CONTEXT && choice.tag === 0) {
    const seq = expect(b, choice.contentOffset, choice.end, UNIVERSAL, 16, 'negTokenInit');
    const m = tagged(b, seq, 'negTokenInit');
    const inner: Field[] = [];
    const types = m.get(0);
    const mechs: string[] = [];
    if (types !== undefined) {
      const list = children(b, types, 'mechTypes');
      inner.push(
        uintDec('spnego.mechTypes', 'mechTypes', list.length, types.offset, types.end - types.offset, {
          text: `mechTypes: ${list.length} item${list.length === 1 ? '' : 's'}`,
          children: list.map((o) => {
            const oid = oidOf(b, o, 'MechType');
            mechs.push(oid);
            return rawField('spnego.MechType', 'MechType', 'string', oid, oid, o.contentOffset, o.length, { text: `MechType: ${oidText(oid)}` });
          }),
        }),
      );
    }
    const token = m.get(2);
    if (token !== undefined) {
      inner.push(berBytes('spnego.mechToken', 'mechToken', b, token.contentOffset, token.length));
      if (mechs[0] === KRB5_OID || mechs[0] === MS_KRB5_OID) {
        inner.push(krb5Blob(b, token));
        layers.push('spnego-krb5');
      }
    }
    kids.push(labelField('spnego.negTokenInit_element', 'negTokenInit', seq.contentOffset, seq.length, { text: 'negTokenInit', children: inner }));
  }
  return labelField('spnego', 'Simple Protected Negotiation', at, end - at, { text: 'Simple Protected Negotiation', children: kids });
}

/**
 * A GSS-API token at [at, end) as a protocol item for the caller's tree, and the protocols it adds to
 * frame.protocols. A token that cannot be read is shown as far as it goes.
 */
export function gssapiItem(b: Uint8Array, at: number, end: number): { field: Field; layers: string[] } {
  const layers = ['gss-api'];
  const kids: Field[] = [];
  try {
    const app = tlv(b, at, end, 'GSS-API');
    if (app.cls === APPLICATION && app.tag === 0) {
      const oidT = expect(b, app.contentOffset, app.end, UNIVERSAL, 6, 'GSS-API OID');
      const oid = oidOf(b, oidT, 'GSS-API OID');
      kids.push(stringField('gss-api.OID', 'OID', oid, oidT.contentOffset, oidT.length, { text: `OID: ${oidText(oid)}` }));
      if (oid === SPNEGO_OID && oidT.end < app.end) {
        layers.push('spnego');
        kids.push(spnego(b, oidT.end, app.end, layers));
      }
    }
  } catch (err) {
    if (!(err instanceof BerProblem)) throw err;
  }
  const label = 'GSS-API Generic Security Service Application Program Interface';
  return { field: labelField('gss-api', label, at, end - at, { text: label, children: kids }), layers };
}

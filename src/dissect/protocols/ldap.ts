// LDAP (RFC 4511, TCP port 389) as Wireshark 4.0's `ldap` dissector shows it: each LDAPMessage of a
// segment (BER, split by tcp_dissect_pdus with `[PDU Size: N]` in the TCP tree) is a tree of its
// own: messageID, protocolOp (the operation's application tag) with the operation's fields, the
// request/response match ([Response To], [Time], by messageID within the conversation), then the
// controls (the paged-results control's value decoded as SearchControlValue, which names `ldap` once
// more in frame.protocols). A SASL bind's GSS-SPNEGO/GSSAPI credentials go to gssapi.ts.
// Info, per message "op(id) " and what Wireshark appends ("\"dn\" ", the scope, the result code,
// "(error message) "), messages joined by " | "; search results count entries per conversation
// ("[1 result]" on the entry's tree, on searchResDone's tree and Info).
// SASL-wrapped messages (after a bind that negotiated a security layer) are not unwrapped.

import type { DerTlv } from '../../wire/der.ts';
import { bool, type Field, labelField, type ProtoNode, rawField, stringField, uintDec } from '../field.ts';
import type { NsTime } from '../frame-fields.ts';
import { registerFields } from '../known-fields.ts';
import type { TcpAppCall, TcpAppContext, TcpAppDissector, TcpAppOutput } from '../tcp-reassembly-apps.ts';
import { gssapiItem } from './gssapi.ts';
import { BerProblem, berBool, berBytes, berInt, berText, children, expect, printable } from './ldap-ber.ts';
import { filterItem } from './ldap-filter.ts';
import { LDAP_AUTH_CHOICES, LDAP_DEREF, LDAP_MOD_OPERATIONS, LDAP_OPS, LDAP_RESULT_CODES, LDAP_SCOPES, ldapOidName } from './ldap-names.ts';
import { onTcpStreamForgotten } from './tcp-conversation-end.ts';
import { packetTime, relTimeField } from './udp.ts';

export const LDAP_TCP_PORT = 389;
const UNIVERSAL = 0;
const APPLICATION = 1;
const CONTEXT = 2;
const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';

registerFields({
  ldap: 'FT_PROTOCOL',
  'ldap.LDAPMessage_element': 'FT_NONE',
  'ldap.messageID': 'FT_UINT32',
  'ldap.protocolOp': 'FT_UINT32',
  'ldap.response_to': 'FT_FRAMENUM',
  'ldap.time': 'FT_RELATIVE_TIME',
  'ldap.controls': 'FT_UINT32',
  'ldap.Control_element': 'FT_NONE',
  'ldap.controlType': 'FT_STRING',
  'ldap.criticality': 'FT_BOOLEAN',
  'ldap.controlValue': 'FT_BYTES',
  'ldap.SearchControlValue_element': 'FT_NONE',
  'ldap.size': 'FT_INT32',
  'ldap.cookie': 'FT_BYTES',
  'ldap.bindRequest_element': 'FT_NONE',
  'ldap.version': 'FT_UINT32',
  'ldap.name': 'FT_STRING',
  'ldap.authentication': 'FT_UINT32',
  'ldap.simple': 'FT_STRING',
  'ldap.sasl_element': 'FT_NONE',
  'ldap.mechanism': 'FT_STRING',
  'ldap.credentials': 'FT_BYTES',
  'ldap.bindResponse_element': 'FT_NONE',
  'ldap.serverSaslCreds': 'FT_BYTES',
  'ldap.resultCode': 'FT_UINT32',
  'ldap.matchedDN': 'FT_STRING',
  'ldap.errorMessage': 'FT_STRING',
  'ldap.referral': 'FT_UINT32',
  'ldap.LDAPURL': 'FT_STRING',
  'ldap.unbindRequest_element': 'FT_NONE',
  'ldap.searchRequest_element': 'FT_NONE',
  'ldap.baseObject': 'FT_STRING',
  'ldap.scope': 'FT_UINT32',
  'ldap.derefAliases': 'FT_UINT32',
  'ldap.sizeLimit': 'FT_UINT32',
  'ldap.timeLimit': 'FT_UINT32',
  'ldap.typesOnly': 'FT_BOOLEAN',
  'ldap.filter': 'FT_UINT32',
  'ldap.and': 'FT_UINT32',
  'ldap.and_item': 'FT_UINT32',
  'ldap.or': 'FT_UINT32',
  'ldap.or_item': 'FT_UINT32',
  'ldap.not': 'FT_UINT32',
  'ldap.equalityMatch_element': 'FT_NONE',
  'ldap.greaterOrEqual_element': 'FT_NONE',
  'ldap.lessOrEqual_element': 'FT_NONE',
  'ldap.approxMatch_element': 'FT_NONE',
  'ldap.present': 'FT_STRING',
  'ldap.substrings_element': 'FT_NONE',
  'ldap.substrings': 'FT_UINT32',
  'ldap.substrings_item': 'FT_UINT32',
  'ldap.initial': 'FT_STRING',
  'ldap.any': 'FT_STRING',
  'ldap.final': 'FT_STRING',
  'ldap.extensibleMatch_element': 'FT_NONE',
  'ldap.matchingRule': 'FT_STRING',
  'ldap.matchValue': 'FT_STRING',
  'ldap.dnAttributes': 'FT_BOOLEAN',
  'ldap.attributeDesc': 'FT_STRING',
  'ldap.assertionValue': 'FT_STRING',
  'ldap.attributes': 'FT_UINT32',
  'ldap.AttributeDescription': 'FT_STRING',
  'ldap.searchResEntry_element': 'FT_NONE',
  'ldap.objectName': 'FT_STRING',
  'ldap.PartialAttributeList_item_element': 'FT_NONE',
  'ldap.AttributeList_item_element': 'FT_NONE',
  'ldap.type': 'FT_STRING',
  'ldap.vals': 'FT_UINT32',
  'ldap.AttributeValue': 'FT_BYTES',
  'ldap.searchResDone_element': 'FT_NONE',
  'ldap.searchResRef': 'FT_UINT32',
  'ldap.modifyRequest_element': 'FT_NONE',
  'ldap.object': 'FT_STRING',
  'ldap.modification': 'FT_UINT32',
  'ldap.modification_item_element': 'FT_NONE',
  'ldap.operation': 'FT_UINT32',
  'ldap.modification_element': 'FT_NONE',
  'ldap.modifyResponse_element': 'FT_NONE',
  'ldap.addRequest_element': 'FT_NONE',
  'ldap.entry': 'FT_STRING',
  'ldap.addResponse_element': 'FT_NONE',
  'ldap.delRequest': 'FT_STRING',
  'ldap.delResponse_element': 'FT_NONE',
  'ldap.modDNRequest_element': 'FT_NONE',
  'ldap.newrdn': 'FT_STRING',
  'ldap.deleteoldrdn': 'FT_BOOLEAN',
  'ldap.newSuperior': 'FT_STRING',
  'ldap.modDNResponse_element': 'FT_NONE',
  'ldap.compareRequest_element': 'FT_NONE',
  'ldap.ava_element': 'FT_NONE',
  'ldap.compareResponse_element': 'FT_NONE',
  'ldap.abandonRequest': 'FT_UINT32',
  'ldap.extendedReq_element': 'FT_NONE',
  'ldap.requestName': 'FT_STRING',
  'ldap.requestValue': 'FT_BYTES',
  'ldap.extendedResp_element': 'FT_NONE',
  'ldap.responseName': 'FT_STRING',
  'ldap.response': 'FT_BYTES',
  'ldap.intermediateResponse_element': 'FT_NONE',
  'ldap.responseValue': 'FT_BYTES',
  'tcp.pdu.size': 'FT_UINT32',
});

/** Operations that expect a response, and the responses (by application tag). */
const REQUESTS: ReadonlySet<number> = new Set([0, 3, 6, 8, 10, 12, 14, 23]);
const RESPONSES: ReadonlySet<number> = new Set([1, 4, 5, 7, 9, 11, 13, 15, 19, 24, 25]);

interface Conv {
  /** Requests by messageID: frame and time. */
  requests: Map<number, { frame: number; time: NsTime }>;
  /** searchResEntry messages since the last searchResDone. */
  results: number;
}

const MAX_CONVS = 65536;
const MAX_REQUESTS = 4096;

function convOf(app: TcpAppContext): Conv {
  const all = app.ctx.state.slot<Map<number, Conv>>('ldap', () => new Map());
  let c = all.get(app.stream);
  if (c === undefined) {
    if (all.size >= MAX_CONVS) all.delete(all.keys().next().value as number);
    c = { requests: new Map(), results: 0 };
    all.set(app.stream, c);
  }
  return c;
}

onTcpStreamForgotten((state, stream) => state.slot<Map<number, Conv>>('ldap', () => new Map()).delete(stream));

/** Length of the BER message at the head of the stream (0: its header is not all there). */
export function ldapPduLength(head: Uint8Array): number {
  if (head.length < 2) return 0;
  // Not a BER SEQUENCE: no length to wait for; the segment is dissected (and reported) as it is.
  if (head[0] !== 0x30) return head.length;
  const first = head[1];
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) return head.length;
  if (head.length < 2 + n) return 0;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + head[2 + i];
  return 2 + n + len;
}

const plural = (n: number, what: string): string => `${what}: ${n} item${n === 1 ? '' : 's'}`;
const quoted = (dn: string): string => `"${dn === '' ? '<ROOT>' : dn}"`;

function str(name: string, label: string, b: Uint8Array, t: DerTlv): Field {
  return stringField(name, label, berText(b, t), t.contentOffset, t.length);
}

function enumField(name: string, label: string, b: Uint8Array, t: DerTlv, names: Readonly<Record<number, string>>): { field: Field; value: number } {
  const v = berInt(b, t, label);
  return { field: uintDec(name, label, v, t.contentOffset, t.length, { text: `${label}: ${names[v] ?? 'Unknown'} (${v})` }), value: v };
}

function intField(name: string, label: string, b: Uint8Array, t: DerTlv): Field {
  return uintDec(name, label, berInt(b, t, label), t.contentOffset, t.length);
}

function boolField(name: string, label: string, b: Uint8Array, t: DerTlv): Field {
  const v = berBool(b, t);
  return bool(name, label, v, t.contentOffset, t.length, { text: `${label}: ${v ? 'True' : 'False'}` });
}

function attributeValue(b: Uint8Array, t: DerTlv): Field {
  const f = berBytes('ldap.AttributeValue', 'AttributeValue', b, t.contentOffset, t.length);
  if (t.length > 0 && printable(b, t.contentOffset, t.end)) f.text = `AttributeValue: ${berText(b, t)}`;
  return f;
}

/** An attribute with its values: `NAME item TYPE` (or `modification TYPE`) holding type and vals. */
function attribute(b: Uint8Array, t: DerTlv, element: string, label: string): Field {
  const [type, vals] = children(b, t, label);
  if (type === undefined || vals === undefined) throw new BerProblem(t.offset, `${label}: type and values expected`);
  const values = children(b, vals, 'vals');
  return labelField(element, label, t.contentOffset, t.length, {
    text: `${label} ${berText(b, type)}`,
    children: [
      str('ldap.type', 'type', b, type),
      uintDec('ldap.vals', 'vals', values.length, vals.contentOffset, vals.length, {
        text: plural(values.length, 'vals'),
        children: values.map((v) => attributeValue(b, v)),
      }),
    ],
  });
}

/** What an operation adds to the message: its fields, and the texts for the tree label and Info. */
interface OpOut {
  fields: Field[];
  label: string[];
  info: string[];
  result?: { code: number };
  layers: string[];
}

/** LDAPResult's fields (resultCode, matchedDN, errorMessage, referral) from `items`; returns the rest. */
function ldapResult(b: Uint8Array, items: DerTlv[], out: OpOut, showCode: boolean): DerTlv[] {
  const [code, dn, msg, ...rest] = items;
  if (code === undefined || dn === undefined || msg === undefined)
    throw new BerProblem(items[0]?.offset ?? 0, 'LDAPResult: resultCode, matchedDN and errorMessage expected');
  const r = enumField('ldap.resultCode', 'resultCode', b, code, LDAP_RESULT_CODES);
  out.fields.push(r.field, str('ldap.matchedDN', 'matchedDN', b, dn), str('ldap.errorMessage', 'errorMessage', b, msg));
  if (showCode) {
    const name = LDAP_RESULT_CODES[r.value] ?? `Unknown result(${r.value})`;
    out.label.push(name);
    out.info.push(name);
  }
  const text = berText(b, msg);
  if (text !== '') {
    out.label.push(`(${text})`);
    out.info.push(`(${text})`);
  }
  out.result = { code: r.value };
  const after: DerTlv[] = [];
  for (const t of rest) {
    if (t.cls === CONTEXT && t.tag === 3) {
      const urls = children(b, t, 'referral');
      out.fields.push(
        uintDec('ldap.referral', 'referral', urls.length, t.contentOffset, t.length, {
          text: plural(urls.length, 'referral'),
          children: urls.map((u) => str('ldap.LDAPURL', 'LDAPURL', b, u)),
        }),
      );
    } else after.push(t);
  }
  return after;
}

function op(b: Uint8Array, t: DerTlv, conv: Conv): OpOut {
  const out: OpOut = { fields: [], label: [], info: [], layers: [] };
  const name = LDAP_OPS[t.tag];
  const element = (fields: Field[]): Field => labelField(`ldap.${name}_element`, name, t.contentOffset, t.length, { text: name, children: fields });
  const inner: OpOut = { fields: [], label: out.label, info: out.info, layers: out.layers };
  switch (t.tag) {
    case 0: {
      const [version, dn, auth] = children(b, t, name);
      if (version === undefined || dn === undefined || auth === undefined)
        throw new BerProblem(t.offset, 'bindRequest: version, name and authentication expected');
      inner.fields.push(intField('ldap.version', 'version', b, version), str('ldap.name', 'name', b, dn));
      const authName = LDAP_AUTH_CHOICES[auth.tag] ?? 'Unknown';
      const authKids: Field[] = [];
      if (auth.tag === 0) authKids.push(str('ldap.simple', 'simple', b, auth));
      else if (auth.tag === 3) {
        const [mech, creds] = children(b, auth, 'sasl');
        if (mech === undefined) throw new BerProblem(auth.offset, 'sasl: mechanism expected');
        const saslKids: Field[] = [str('ldap.mechanism', 'mechanism', b, mech)];
        if (creds !== undefined) {
          saslKids.push(berBytes('ldap.credentials', 'credentials', b, creds.contentOffset, creds.length));
          const m = berText(b, mech);
          if ((m === 'GSS-SPNEGO' || m === 'GSSAPI') && creds.length > 0) {
            const g = gssapiItem(b, creds.contentOffset, creds.end);
            saslKids.push(g.field);
            out.layers.push(...g.layers);
          }
        }
        authKids.push(labelField('ldap.sasl_element', 'sasl', auth.contentOffset, auth.length, { text: 'sasl', children: saslKids }));
      }
      inner.fields.push(
        uintDec('ldap.authentication', 'authentication', auth.tag, auth.contentOffset, auth.length, {
          text: `authentication: ${authName} (${auth.tag})`,
          children: authKids,
        }),
      );
      out.label.push(quoted(berText(b, dn)), authName);
      out.info.push(quoted(berText(b, dn)), authName);
      out.fields.push(element(inner.fields));
      break;
    }
    case 1:
    case 5:
    case 7:
    case 9:
    case 11:
    case 13:
    case 15:
    case 24: {
      const rest = ldapResult(b, children(b, t, name), inner, t.tag !== 24);
      for (const x of rest) {
        if (t.tag === 1 && x.tag === 7) inner.fields.push(berBytes('ldap.serverSaslCreds', 'serverSaslCreds', b, x.contentOffset, x.length));
        else if (t.tag === 24 && x.tag === 10) {
          const oid = berText(b, x);
          const oidText = ldapOidName(oid);
          inner.fields.push(
            stringField('ldap.responseName', 'responseName', oid, x.contentOffset, x.length, {
              text: `responseName: ${oid}${oidText !== oid ? ` (${oidText})` : ''}`,
            }),
          );
          out.info.push(oidText);
        } else if (t.tag === 24 && x.tag === 11) inner.fields.push(berBytes('ldap.response', 'response', b, x.contentOffset, x.length));
      }
      out.result = inner.result;
      if (t.tag === 5) {
        const n = conv.results;
        conv.results = 0;
        const text = `[${n} result${n === 1 ? '' : 's'}]`;
        out.label.push(text);
        out.info.push(` ${text}`);
      }
      out.fields.push(element(inner.fields));
      break;
    }
    case 2:
      out.fields.push(element([]));
      break;
    case 3: {
      const [base, scope, deref, size, time, types, filter, attrs] = children(b, t, name);
      if (attrs === undefined) throw new BerProblem(t.offset, 'searchRequest: 8 components expected');
      const s = enumField('ldap.scope', 'scope', b, scope, LDAP_SCOPES);
      const list = children(b, attrs, 'attributes');
      inner.fields.push(
        str('ldap.baseObject', 'baseObject', b, base),
        s.field,
        enumField('ldap.derefAliases', 'derefAliases', b, deref, LDAP_DEREF).field,
        intField('ldap.sizeLimit', 'sizeLimit', b, size),
        intField('ldap.timeLimit', 'timeLimit', b, time),
        boolField('ldap.typesOnly', 'typesOnly', b, types),
        filterItem(b, filter),
        uintDec('ldap.attributes', 'attributes', list.length, attrs.contentOffset, attrs.length, {
          text: plural(list.length, 'attributes'),
          children: list.map((a) => str('ldap.AttributeDescription', 'AttributeDescription', b, a)),
        }),
      );
      const scopeName = LDAP_SCOPES[s.value] ?? 'Unknown';
      out.label.push(quoted(berText(b, base)), scopeName);
      out.info.push(quoted(berText(b, base)), scopeName);
      out.fields.push(element(inner.fields));
      break;
    }
    case 4: {
      const [dn, attrs] = children(b, t, name);
      if (attrs === undefined) throw new BerProblem(t.offset, 'searchResEntry: objectName and attributes expected');
      const list = children(b, attrs, 'attributes');
      inner.fields.push(
        str('ldap.objectName', 'objectName', b, dn),
        uintDec('ldap.attributes', 'attributes', list.length, attrs.contentOffset, attrs.length, {
          text: plural(list.length, 'attributes'),
          children: list.map((a) => attribute(b, a, 'ldap.PartialAttributeList_item_element', 'PartialAttributeList item')),
        }),
      );
      conv.results++;
      out.label.push(quoted(berText(b, dn)), `[${conv.results} result${conv.results === 1 ? '' : 's'}]`);
      out.info.push(quoted(berText(b, dn)));
      out.fields.push(element(inner.fields));
      break;
    }
    case 6: {
      const [object, mods] = children(b, t, name);
      if (mods === undefined) throw new BerProblem(t.offset, 'modifyRequest: object and modification expected');
      const list = children(b, mods, 'modification');
      inner.fields.push(
        str('ldap.object', 'object', b, object),
        uintDec('ldap.modification', 'modification', list.length, mods.contentOffset, mods.length, {
          text: plural(list.length, 'modification'),
          children: list.map((m) => {
            const [operation, attr] = children(b, m, 'modification item');
            if (attr === undefined) throw new BerProblem(m.offset, 'modification item: operation and modification expected');
            return labelField('ldap.modification_item_element', 'modification item', m.contentOffset, m.length, {
              text: 'modification item',
              children: [
                enumField('ldap.operation', 'operation', b, operation, LDAP_MOD_OPERATIONS).field,
                attribute(b, attr, 'ldap.modification_element', 'modification'),
              ],
            });
          }),
        }),
      );
      out.label.push(quoted(berText(b, object)));
      out.info.push(quoted(berText(b, object)));
      out.fields.push(element(inner.fields));
      break;
    }
    case 8: {
      const [entry, attrs] = children(b, t, name);
      if (attrs === undefined) throw new BerProblem(t.offset, 'addRequest: entry and attributes expected');
      const list = children(b, attrs, 'attributes');
      inner.fields.push(
        str('ldap.entry', 'entry', b, entry),
        uintDec('ldap.attributes', 'attributes', list.length, attrs.contentOffset, attrs.length, {
          text: plural(list.length, 'attributes'),
          children: list.map((a) => attribute(b, a, 'ldap.AttributeList_item_element', 'AttributeList item')),
        }),
      );
      out.label.push(quoted(berText(b, entry)));
      out.info.push(quoted(berText(b, entry)));
      out.fields.push(element(inner.fields));
      break;
    }
    case 10: {
      out.fields.push(str('ldap.delRequest', 'delRequest', b, t));
      out.label.push(quoted(berText(b, t)));
      out.info.push(quoted(berText(b, t)));
      break;
    }
    case 12: {
      const [entry, rdn, del, sup] = children(b, t, name);
      if (del === undefined) throw new BerProblem(t.offset, 'modDNRequest: entry, newrdn and deleteoldrdn expected');
      inner.fields.push(str('ldap.entry', 'entry', b, entry), str('ldap.newrdn', 'newrdn', b, rdn), boolField('ldap.deleteoldrdn', 'deleteoldrdn', b, del));
      if (sup !== undefined) inner.fields.push(str('ldap.newSuperior', 'newSuperior', b, sup));
      out.label.push(quoted(berText(b, entry)));
      out.info.push(quoted(berText(b, entry)));
      out.fields.push(element(inner.fields));
      break;
    }
    case 14: {
      const [entry, ava] = children(b, t, name);
      if (ava === undefined) throw new BerProblem(t.offset, 'compareRequest: entry and ava expected');
      const [desc, value] = children(b, ava, 'ava');
      if (value === undefined) throw new BerProblem(ava.offset, 'ava: attributeDesc and assertionValue expected');
      inner.fields.push(
        str('ldap.entry', 'entry', b, entry),
        labelField('ldap.ava_element', 'ava', ava.contentOffset, ava.length, {
          text: 'ava',
          children: [str('ldap.attributeDesc', 'attributeDesc', b, desc), str('ldap.assertionValue', 'assertionValue', b, value)],
        }),
      );
      out.label.push(quoted(berText(b, entry)));
      out.info.push(quoted(berText(b, entry)));
      out.fields.push(element(inner.fields));
      break;
    }
    case 16:
      out.fields.push(intField('ldap.abandonRequest', 'abandonRequest', b, t));
      break;
    case 19: {
      const urls = children(b, t, name);
      out.fields.push(
        uintDec('ldap.searchResRef', 'searchResRef', urls.length, t.contentOffset, t.length, {
          text: plural(urls.length, 'searchResRef'),
          children: urls.map((u) => str('ldap.LDAPURL', 'LDAPURL', b, u)),
        }),
      );
      break;
    }
    case 23: {
      for (const x of children(b, t, name)) {
        if (x.tag === 0) {
          const oid = berText(b, x);
          const oidText = ldapOidName(oid);
          inner.fields.push(
            stringField('ldap.requestName', 'requestName', oid, x.contentOffset, x.length, {
              text: `requestName: ${oid}${oidText !== oid ? ` (${oidText})` : ''}`,
            }),
          );
          out.info.push(oidText);
        } else if (x.tag === 1) inner.fields.push(berBytes('ldap.requestValue', 'requestValue', b, x.contentOffset, x.length));
      }
      out.fields.push(element(inner.fields));
      break;
    }
    case 25: {
      for (const x of children(b, t, name)) {
        if (x.tag === 0) inner.fields.push(str('ldap.responseName', 'responseName', b, x));
        else if (x.tag === 1) inner.fields.push(berBytes('ldap.responseValue', 'responseValue', b, x.contentOffset, x.length));
      }
      out.fields.push(element(inner.fields));
      break;
    }
  }
  return out;
}

/** The controls ([0] Controls): the list, and whether an OID-dissected value named ldap again. */
function controls(b: Uint8Array, t: DerTlv, layers: string[]): Field {
  const list = children(b, t, 'controls');
  return uintDec('ldap.controls', 'controls', list.length, t.contentOffset, t.length, {
    text: plural(list.length, 'controls'),
    children: list.map((c) => {
      const kids: Field[] = [];
      let oid = '';
      for (const x of children(b, c, 'Control')) {
        if (x.cls === UNIVERSAL && x.tag === 4 && kids.length === 0) {
          oid = berText(b, x);
          const name = ldapOidName(oid);
          kids.push(
            stringField('ldap.controlType', 'controlType', oid, x.contentOffset, x.length, { text: `controlType: ${oid}${name !== oid ? ` (${name})` : ''}` }),
          );
        } else if (x.cls === UNIVERSAL && x.tag === 1) kids.push(boolField('ldap.criticality', 'criticality', b, x));
        else if (x.cls === UNIVERSAL && x.tag === 4) {
          const paged = oid === PAGED_RESULTS_OID ? pagedResults(b, x) : undefined;
          if (paged !== undefined) {
            kids.push(paged);
            layers.push('ldap');
          } else kids.push(berBytes('ldap.controlValue', 'controlValue', b, x.contentOffset, x.length));
        }
      }
      return labelField('ldap.Control_element', 'Control', c.offset, c.end - c.offset, { text: 'Control', children: kids });
    }),
  });
}

/** The paged-results control's value (RFC 2696): size and cookie, or undefined when it is not one. */
function pagedResults(b: Uint8Array, value: DerTlv): Field | undefined {
  try {
    const seq = expect(b, value.contentOffset, value.end, UNIVERSAL, 16, 'SearchControlValue');
    const [size, cookie] = children(b, seq, 'SearchControlValue');
    if (size === undefined || cookie === undefined) return undefined;
    const n = berInt(b, size, 'size');
    return labelField('ldap.SearchControlValue_element', 'SearchControlValue', seq.offset, seq.end - seq.offset, {
      text: 'SearchControlValue',
      children: [
        rawField('ldap.size', 'size', 'int', n, String(n), size.contentOffset, size.length),
        berBytes('ldap.cookie', 'cookie', b, cookie.contentOffset, cookie.length),
      ],
    });
  } catch (err) {
    if (err instanceof BerProblem) return undefined;
    throw err;
  }
}

/** One LDAPMessage at [off, end): its node and Info text. */
function message(b: Uint8Array, off: number, end: number, app: TcpAppContext, conv: Conv): { node: ProtoNode; info: string } {
  const node: ProtoNode = { proto: 'ldap', label: 'Lightweight Directory Access Protocol', offset: off, length: end - off, fields: [], malformed: [] };
  const msgFields: Field[] = [];
  let head = 'LDAPMessage';
  let info = '';
  try {
    const top = expect(b, off, end, UNIVERSAL, 16, 'LDAPMessage');
    const [idT, opT, ...rest] = children(b, top, 'LDAPMessage');
    if (idT === undefined || opT === undefined) throw new BerProblem(top.contentOffset, 'LDAPMessage: messageID and protocolOp expected');
    const id = berInt(b, idT, 'messageID');
    msgFields.push(uintDec('ldap.messageID', 'messageID', id, idT.contentOffset, idT.length));
    if (opT.cls !== APPLICATION || LDAP_OPS[opT.tag] === undefined) throw new BerProblem(opT.offset, `unknown protocolOp [${opT.cls}:${opT.tag}]`);
    const name = LDAP_OPS[opT.tag];
    const o = op(b, opT, conv);
    msgFields.push(
      uintDec('ldap.protocolOp', 'protocolOp', opT.tag, opT.offset, opT.end - opT.offset, {
        text: `protocolOp: ${name} (${opT.tag})${opT.tag === 16 ? ` abandonRequest(${berInt(b, opT, 'abandonRequest')})` : ''}`,
        children: o.fields,
      }),
    );
    const t = packetTime(app.ctx);
    if (REQUESTS.has(opT.tag)) {
      if (conv.requests.size >= MAX_REQUESTS) conv.requests.delete(conv.requests.keys().next().value as number);
      conv.requests.set(id, { frame: app.ctx.packet.number, time: t });
    } else if (RESPONSES.has(opT.tag)) {
      const req = conv.requests.get(id);
      if (req !== undefined) {
        msgFields.push(uintDec('ldap.response_to', 'Response To', req.frame, off, 0, { generated: true, text: `[Response To: ${req.frame}]` }));
        let secs = t.secs - req.time.secs;
        let nsecs = t.nsecs - req.time.nsecs;
        if (nsecs < 0) {
          nsecs += 1e9;
          secs -= 1;
        }
        msgFields.push(relTimeField('ldap.time', 'Time', { secs, nsecs }, off));
      }
    }
    for (const x of rest) if (x.cls === CONTEXT && x.tag === 0) msgFields.push(controls(b, x, o.layers));
    node.layers = o.layers.length > 0 ? o.layers : undefined;
    if (node.layers === undefined) delete node.layers;
    // abandonRequest's value is a MessageID too: Wireshark's Info and label then show that one.
    const shownId = opT.tag === 16 ? berInt(b, opT, 'abandonRequest') : id;
    // (and its tree label says no more than "LDAPMessage").
    head = opT.tag === 16 ? 'LDAPMessage' : `LDAPMessage ${name}(${shownId})${o.label.map((p) => ` ${p}`).join('')}`;
    info = `${name}(${shownId}) ${o.info.map((p) => (p.startsWith(' ') ? p : `${p} `)).join('')}`;
  } catch (err) {
    if (!(err instanceof BerProblem)) throw err;
    node.malformed.push({ layer: 'ldap', offset: err.offset, reason: err.message });
  }
  node.fields.push(labelField('ldap.LDAPMessage_element', 'LDAPMessage', off, end - off, { text: head, children: msgFields }));
  return { node, info };
}

export const ldapTcpApp: TcpAppDissector = {
  name: 'ldap',
  ports: new Set([LDAP_TCP_PORT]),
  pduLength: ldapPduLength,
  infoSeparator: ' | ',
  afterTcpNote: '',
  dissect(call: TcpAppCall, app: TcpAppContext): TcpAppOutput {
    const conv = convOf(app);
    const nodes: ProtoNode[] = [];
    const info: string[] = [];
    const tcpFields: Field[] = call.pdus.map((pdu) =>
      uintDec('tcp.pdu.size', 'PDU Size', pdu.length, call.reassembled ? 0 : pdu.offset, call.reassembled ? 0 : pdu.length, { generated: true }),
    );
    for (const pdu of call.pdus) {
      const m = message(call.data, pdu.offset, pdu.offset + pdu.length, app, conv);
      if (nodes.length > 0) m.node.unlisted = true;
      nodes.push(m.node);
      info.push(m.info);
    }
    return { nodes, info, protocol: 'LDAP', tcpFields };
  },
};

// LDAP search filters (RFC 4511 section 4.5.1) as Wireshark 4.0 shows them: a `Filter: (...)` item
// with the filter in RFC 4515 text, holding `filter: CHOICE (N)` and the choice's own items.

import type { DerTlv } from '../../wire/der.ts';
import { type Field, labelField, stringField, uintDec, bool } from '../field.ts';
import { textItem } from './link-fields.ts';
import { BerProblem, berBool, berText, children } from './ldap-ber.ts';
import { LDAP_FILTERS } from './ldap-names.ts';

const CONTEXT = 2;
/** Filters nested deeper than this are reported rather than followed. */
const MAX_DEPTH = 32;

interface Built {
  text: string;
  field: Field;
}

function str(name: string, label: string, b: Uint8Array, t: DerTlv): Field {
  return stringField(name, label, berText(b, t), t.contentOffset, t.length);
}

/** AttributeValueAssertion (equality, >=, <=, ~=): the element and the filter text. */
function ava(b: Uint8Array, t: DerTlv, element: string, op: string): { text: string; fields: Field[] } {
  const [desc, value] = children(b, t, element);
  if (desc === undefined || value === undefined) throw new BerProblem(t.offset, `${element}: attribute and value expected`);
  const a = berText(b, desc);
  const v = berText(b, value);
  return {
    text: `(${a}${op}${v})`,
    fields: [
      labelField(`ldap.${element}_element`, element, t.contentOffset, t.length, {
        text: element,
        children: [str('ldap.attributeDesc', 'attributeDesc', b, desc), str('ldap.assertionValue', 'assertionValue', b, value)],
      }),
    ],
  };
}

/** One Filter value: its `filter`-style CHOICE field (named `name`) and its text. */
function choice(b: Uint8Array, t: DerTlv, name: string, label: string, depth: number): Built {
  if (depth > MAX_DEPTH) throw new BerProblem(t.offset, `filter nested deeper than ${MAX_DEPTH} levels`);
  if (t.cls !== CONTEXT || LDAP_FILTERS[t.tag] === undefined) throw new BerProblem(t.offset, `unknown filter choice [${t.cls}:${t.tag}]`);
  const kind = LDAP_FILTERS[t.tag];
  let text: string;
  let inner: Field[];
  if (t.tag <= 1) {
    const subs = children(b, t, kind).map((c) => choice(b, c, `ldap.${kind}_item`, `${kind} item`, depth + 1));
    // Wireshark folds the items pairwise from the left: (&(&(a)(b))(c)).
    const sign = t.tag === 0 ? '&' : '|';
    text = subs.slice(1).reduce((acc, s) => `(${sign}${acc}${s.text})`, subs[0]?.text ?? '');
    inner = [
      textItem(`${kind}: ${text}`, t.offset, t.end - t.offset, [
        uintDec(`ldap.${kind}`, kind, subs.length, t.contentOffset, t.length, {
          text: `${kind}: ${subs.length} item${subs.length === 1 ? '' : 's'}`,
          children: subs.map((s) => textItem(`Filter: ${s.text}`, s.field.offset, s.field.length, [s.field])),
        }),
      ]),
    ];
  } else if (t.tag === 2) {
    const [sub] = children(b, t, 'not');
    if (sub === undefined) throw new BerProblem(t.offset, 'not: filter expected');
    const s = choice(b, sub, 'ldap.not', 'not', depth + 1);
    text = `(!${s.text})`;
    inner = [textItem(`Filter: ${s.text}`, sub.offset, sub.end - sub.offset, [s.field])];
  } else if (t.tag === 3 || t.tag === 5 || t.tag === 6 || t.tag === 8) {
    const op = t.tag === 3 ? '=' : t.tag === 5 ? '>=' : t.tag === 6 ? '<=' : '~=';
    const a = ava(b, t, kind, op);
    text = a.text;
    inner = a.fields;
  } else if (t.tag === 7) {
    const a = berText(b, t);
    text = `(${a}=*)`;
    inner = [stringField('ldap.present', 'present', a, t.contentOffset, t.length)];
  } else if (t.tag === 4) {
    const [type, subs] = children(b, t, 'substrings');
    if (type === undefined || subs === undefined) throw new BerProblem(t.offset, 'substrings: type and substrings expected');
    const items = children(b, subs, 'substrings');
    const names = ['initial', 'any', 'final'];
    let pattern = '';
    const itemFields = items.map((s) => {
      const n = names[s.tag] ?? 'any';
      const v = berText(b, s);
      pattern += n === 'initial' ? v : n === 'final' ? `*${v}` : `*${v}`;
      return uintDec('ldap.substrings_item', 'substrings item', s.tag, s.offset, s.end - s.offset, {
        text: `substrings item: ${n} (${s.tag})`,
        children: [stringField(`ldap.${n}`, n, v, s.contentOffset, s.length)],
      });
    });
    if (items.length > 0 && names[items[items.length - 1].tag] !== 'final') pattern += '*';
    text = `(${berText(b, type)}=${pattern})`;
    inner = [
      textItem(`substring: ${text}`, t.offset, t.end - t.offset, [
        labelField('ldap.substrings_element', 'substrings', t.contentOffset, t.length, {
          text: `substrings ${berText(b, type)}`,
          children: [
            str('ldap.type', 'type', b, type),
            uintDec('ldap.substrings', 'substrings', items.length, subs.offset, subs.end - subs.offset, {
              text: `substrings: ${items.length} item${items.length === 1 ? '' : 's'}`,
              children: itemFields,
            }),
          ],
        }),
      ]),
    ];
  } else {
    // extensibleMatch: matchingRule [1], type [2], matchValue [3], dnAttributes [4].
    let rule: string | undefined;
    let type: string | undefined;
    let value = '';
    let dn = false;
    const fields: Field[] = [];
    for (const c of children(b, t, 'extensibleMatch')) {
      if (c.tag === 1) {
        rule = berText(b, c);
        fields.push(str('ldap.matchingRule', 'matchingRule', b, c));
      } else if (c.tag === 2) {
        type = berText(b, c);
        fields.push(str('ldap.type', 'type', b, c));
      } else if (c.tag === 3) {
        value = berText(b, c);
        fields.push(str('ldap.matchValue', 'matchValue', b, c));
      } else if (c.tag === 4) {
        dn = berBool(b, c);
        fields.push(bool('ldap.dnAttributes', 'dnAttributes', dn, c.contentOffset, c.length, { text: `dnAttributes: ${dn ? 'True' : 'False'}` }));
      }
    }
    text = `(${type ?? ''}${dn ? ':dn' : ''}${rule !== undefined ? `:${rule}` : ''}:=${value})`;
    inner = [
      labelField('ldap.extensibleMatch_element', 'extensibleMatch', t.contentOffset, t.length, {
        text: `extensibleMatch${type !== undefined ? ` ${type}` : ''}`,
        children: fields,
      }),
    ];
  }
  return { text, field: uintDec(name, label, t.tag, t.offset, t.end - t.offset, { text: `${label}: ${kind} (${t.tag})`, children: inner }) };
}

/** The search request's filter: `Filter: (text)` over `filter: CHOICE (N)`. */
export function filterItem(b: Uint8Array, t: DerTlv): Field {
  const f = choice(b, t, 'ldap.filter', 'filter', 0);
  return textItem(`Filter: ${f.text}`, t.offset, t.end - t.offset, [f.field]);
}

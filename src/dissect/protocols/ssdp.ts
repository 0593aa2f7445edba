// SSDP (UPnP discovery: HTTP/1.1 messages in UDP datagrams to or from port 1900) as Wireshark 4.0
// shows it: the `ssdp` protocol holds http.* fields, built from the HTTP head reader the TCP HTTP
// dissector uses (http-message.ts). Wireshark's quirks kept here:
//   - NOTIFY is a notification, not a request: headers it has no field for are http.unknown_header
//     (the whole line), known ones show only their field (no http.request.line), and it has no
//     request number; http.notification is set;
//   - M-SEARCH and other requests list every header as http.request.line, responses as
//     http.response.line (hidden beside a header with its own field);
//   - the full request URI is "http://" + Host + URI even for "*";
//   - requests and responses are matched per UDP conversation (address and port pairs), so a reply
//     to a multicast M-SEARCH (another conversation) has no request_in.
// Info: the start line and a space ("M-SEARCH * HTTP/1.1 ").

import type { Udp } from '../../wire/udp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { bool, type Field, type ProtoNode, rawField, uintDec } from '../field.ts';
import type { NsTime } from '../frame-fields.ts';
import { registerFields } from '../known-fields.ts';
import { type HttpHeader, readHead, statusOf } from './http-message.ts';
import { type ExchangeConv, requestFields, responseFields } from './http-exchange.ts';
import { HTTP_HEADER_FIELDS, HTTP_STATUS_TEXT } from './http-names.ts';
import { httpColumnText, httpFieldText, httpFieldValue } from './http-text.ts';
import { textItem } from './link-fields.ts';

registerFields({ ssdp: 'FT_PROTOCOL', 'http.notification': 'FT_BOOLEAN', 'http.unknown_header': 'FT_STRING' });

export const SSDP_UDP_PORT = 1900;

export function isSsdp(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const v = prev.value as Udp;
  return v.srcPort === SSDP_UDP_PORT || v.dstPort === SSDP_UDP_PORT;
}

type Conv = ExchangeConv;

const MAX_CONVS = 65536;

/** The UDP conversation: both address:port ends, in a fixed order. */
function convKey(ctx: DissectContext): string {
  const udp = ctx.layers[ctx.index - 1];
  const ip = ctx.layers[ctx.index - 2];
  const u = udp.value as Udp;
  const b = ctx.frame;
  let src = '';
  let dst = '';
  if (ip?.kind === 'ipv4') {
    src = Buffer.from(b.subarray(ip.offset + 12, ip.offset + 16)).toString('hex');
    dst = Buffer.from(b.subarray(ip.offset + 16, ip.offset + 20)).toString('hex');
  } else if (ip?.kind === 'ipv6') {
    src = Buffer.from(b.subarray(ip.offset + 8, ip.offset + 24)).toString('hex');
    dst = Buffer.from(b.subarray(ip.offset + 24, ip.offset + 40)).toString('hex');
  }
  const a = `${src}:${u.srcPort}`;
  const z = `${dst}:${u.dstPort}`;
  return a < z ? `${a}|${z}` : `${z}|${a}`;
}

function convOf(ctx: DissectContext): Conv {
  const convs = ctx.state.slot<Map<string, Conv>>('ssdp', () => new Map());
  const key = convKey(ctx);
  let c = convs.get(key);
  if (c === undefined) {
    if (convs.size >= MAX_CONVS) convs.delete(convs.keys().next().value as string);
    c = { count: 0 };
    convs.set(key, c);
  }
  return c;
}

function str(name: string, label: string, b: Uint8Array, start: number, end: number, o: { text?: string; hidden?: boolean; children?: Field[] } = {}): Field {
  return rawField(name, label, 'string', httpFieldValue(b, start, end), httpFieldText(b, start, end), start, end - start, o);
}

function headerFields(b: Uint8Array, h: HttpHeader, kind: 'request' | 'response' | 'notification'): Field[] {
  const line = httpFieldText(b, h.start, h.next);
  const known = HTTP_HEADER_FIELDS[h.name.toLowerCase()];
  const out: Field[] = [];
  if (known !== undefined) {
    const children: Field[] = [];
    const v = httpFieldValue(b, h.valueStart, h.valueEnd);
    if (known.field === 'http.content_length_header' && /^\s*\d+\s*$/.test(v)) {
      const n = Number(v.trim());
      children.push(
        rawField('http.content_length', 'Content length', 'uint', n, String(n), h.start, h.next - h.start, { generated: true, text: `[Content length: ${n}]` }),
      );
    }
    out.push(str(known.field, known.label, b, h.valueStart, h.valueEnd, { text: line, children }));
  }
  if (kind === 'notification') {
    if (known === undefined) out.push(str('http.unknown_header', 'Unknown header', b, h.start, h.next, { text: line }));
  } else {
    out.push(
      str(kind === 'request' ? 'http.request.line' : 'http.response.line', 'Header line', b, h.start, h.next, { text: line, hidden: known !== undefined }),
    );
  }
  return out;
}

/** The ssdp mapper (over the `data` layer of a UDP datagram to or from port 1900). */
export function mapSsdp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] | undefined {
  const b = ctx.frame;
  const start = layer.offset;
  const end = Math.min(layer.offset + layer.length, b.length);
  const head = readHead(b, start, end, true);
  if (head === undefined || head === 'more') return undefined;
  const f = head.first;
  const line = httpFieldValue(b, f.start, f.end);
  const firstText = httpColumnText(b, f.start, f.next);
  const kids: Field[] = [expertField('http.chat', firstText, 'Chat', 'Sequence', f.start, 0)];
  let kind: 'request' | 'response' | 'notification' = head.kind;
  let uri = '';
  if (head.kind === 'request') {
    const sp1 = line.indexOf(' ');
    const method = line.slice(0, sp1);
    const rest = line.slice(sp1 + 1);
    const sp2 = rest.lastIndexOf(' ');
    uri = sp2 >= 0 ? rest.slice(0, sp2) : rest;
    const version = sp2 >= 0 ? rest.slice(sp2 + 1) : '';
    const uriAt = f.start + sp1 + 1;
    if (method === 'NOTIFY') kind = 'notification';
    kids.push(rawField('http.request.method', 'Request Method', 'string', method, httpFieldText(b, f.start, f.start + sp1), f.start, sp1));
    kids.push(rawField('http.request.uri', 'Request URI', 'string', uri, httpFieldText(b, uriAt, uriAt + uri.length), uriAt, uri.length));
    if (version !== '')
      kids.push(
        rawField(
          'http.request.version',
          'Request Version',
          'string',
          version,
          httpFieldText(b, uriAt + uri.length + 1, f.end),
          uriAt + uri.length + 1,
          version.length,
        ),
      );
  } else {
    const sp1 = line.indexOf(' ');
    const version = sp1 >= 0 ? line.slice(0, sp1) : line;
    kids.push(
      rawField('http.response.version', 'Response Version', 'string', version, httpFieldText(b, f.start, f.start + version.length), f.start, version.length),
    );
    const status = statusOf(b, head);
    if (!Number.isNaN(status)) {
      const at = f.start + sp1 + 1;
      const desc = HTTP_STATUS_TEXT[status] ?? 'Unknown';
      kids.push(uintDec('http.response.code', 'Status Code', status, at, 3));
      kids.push(
        rawField('http.response.code.desc', 'Status Code Description', 'string', desc, desc, at, 3, {
          generated: true,
          text: `[Status Code Description: ${desc}]`,
        }),
      );
      if (at + 3 < f.end)
        kids.push(rawField('http.response.phrase', 'Response Phrase', 'string', line.slice(sp1 + 5), httpFieldText(b, at + 4, f.end), at + 4, f.end - at - 4));
    }
  }
  const fields: Field[] = [textItem(firstText, f.start, f.next - f.start, kids)];
  let host: string | undefined;
  for (const h of head.headers) {
    fields.push(...headerFields(b, h, kind));
    if (host === undefined && h.name.toLowerCase() === 'host') host = httpFieldValue(b, h.valueStart, h.valueEnd).trim();
  }
  if (head.blank !== undefined)
    fields.push(textItem(httpFieldText(b, head.blank.start, head.blank.next), head.blank.start, head.blank.next - head.blank.start));
  const conv = convOf(ctx);
  const frame = ctx.packet.number;
  const now: NsTime = { secs: ctx.packet.tsSec, nsecs: ctx.packet.tsNsec };
  if (kind !== 'response') {
    const full = host !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? `http://${host}${uri}` : undefined;
    if (full !== undefined)
      fields.push(
        rawField('http.request.full_uri', 'Full request URI', 'string', full, full, start, 0, { generated: true, text: `[Full request URI: ${full}]` }),
      );
    if (kind === 'notification') {
      fields.push(bool('http.notification', 'Notification', true, start, 0, { generated: true, hidden: true }));
    } else {
      fields.push(...requestFields(conv, full ?? uri, frame, now, start));
    }
  } else {
    fields.push(...responseFields(conv, frame, now, start));
  }
  const info = `${httpColumnText(b, f.start, f.end)} `;
  return [
    {
      proto: 'ssdp',
      label: 'Simple Service Discovery Protocol',
      offset: start,
      length: end - start,
      fields,
      malformed: layer.malformed,
      columns: { protocol: 'SSDP', info },
    },
  ];
}

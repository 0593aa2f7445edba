// HTTP/1.x in the dissector, as Wireshark 4.0 shows it, over the TCP stream reassembly: a message
// split over segments is dissected on the segment that completes it (head and body: Content-Length,
// chunked, or to the end of the connection for a response without a length), several messages in
// one segment (pipelining) each get their own `http` tree, and a frame cut short by the capture
// shows what it holds. Fields: the start line (method, URI, version / version, code, phrase), one
// field per header Wireshark names (http.host, http.user_agent, http.content_type, ...), every
// header line as http.request.line / http.response.line, the chunks, the request/response matching
// Wireshark does in one pass (http.request_number, http.request_in, http.time, ...) and
// http.file_data; the body goes on to `data-text-lines`, `urlencoded-form`, `media` or `data` by
// its media type, as Wireshark's media_type table sends it.

import { expertField } from '../expert.ts';
import { bytesField, type Field, type ProtoNode, rawField, uintDec } from '../field.ts';
import type { NsTime } from '../frame-fields.ts';
import { registerFields } from '../known-fields.ts';
import type { DissectState } from '../context.ts';
import type { TcpAppCall, TcpAppContext, TcpAppDissector, TcpAppOutput } from '../tcp-reassembly-apps.ts';
import { dataNode } from './data.ts';
import { onTcpStreamForgotten } from './tcp-conversation-end.ts';
import { type Exchange, requestFields, responseFields } from './http-exchange.ts';
import { textItem } from './link-fields.ts';
import { type HttpHeader, httpPduLength, mayBeSwitching, readHead, readHeadFraming, statusOf, walkChunks } from './http-message.ts';
import { FORM_MEDIA_TYPE, HTTP_HEADER_FIELDS, HTTP_STATUS_TEXT, HTTP_TCP_PORTS, TEXT_LINES_MEDIA_TYPES } from './http-names.ts';
import { httpColumnText, httpFieldText, httpFieldValue } from './http-text.ts';
import { noteHttpUpgrade } from './websocket.ts';

registerFields({
  http: 'FT_PROTOCOL',
  'data-text-lines': 'FT_PROTOCOL',
  'urlencoded-form': 'FT_PROTOCOL',
  media: 'FT_PROTOCOL',
  'http.request': 'FT_BOOLEAN',
  'http.response': 'FT_BOOLEAN',
  'http.request.method': 'FT_STRING',
  'http.request.uri': 'FT_STRING',
  'http.request.uri.path': 'FT_STRING',
  'http.request.uri.query': 'FT_STRING',
  'http.request.uri.query.parameter': 'FT_STRING',
  'http.request.version': 'FT_STRING',
  'http.request.full_uri': 'FT_STRING',
  'http.request.line': 'FT_STRING',
  'http.response.version': 'FT_STRING',
  'http.response.code': 'FT_UINT16',
  'http.response.code.desc': 'FT_STRING',
  'http.response.phrase': 'FT_STRING',
  'http.response.line': 'FT_STRING',
  'http.response_for.uri': 'FT_STRING',
  'http.content_length_header': 'FT_STRING',
  'http.content_length': 'FT_UINT64',
  'http.request_number': 'FT_UINT32',
  'http.response_number': 'FT_UINT32',
  'http.request_in': 'FT_FRAMENUM',
  'http.prev_request_in': 'FT_FRAMENUM',
  'http.prev_response_in': 'FT_FRAMENUM',
  'http.time': 'FT_RELATIVE_TIME',
  'http.chunk_size': 'FT_UINT32',
  'http.chunk_data': 'FT_BYTES',
  'http.chunk_boundary': 'FT_BYTES',
  'http.chunked_trailer_part': 'FT_STRING',
  'http.file_data': 'FT_STRING',
  'http.chat': 'FT_NONE',
  'urlencoded-form.key': 'FT_STRING',
  'urlencoded-form.value': 'FT_STRING',
  ...Object.fromEntries(
    Object.values(HTTP_HEADER_FIELDS)
      .filter((h) => h.field !== 'http.content_length_header')
      .map((h) => [h.field, 'FT_STRING' as const]),
  ),
});

// ---------------------------------------------------------------------------------------------
// Request/response matching, per TCP conversation, as Wireshark does it on its one pass.

interface HttpConv {
  count: number;
  /** Directions (sender keys) whose last message was handed on unfinished (a segment not desegmented). */
  unfinished: Set<string>;
  tail?: Exchange;
  /** The last request's full URI (or its URI when it named no host). */
  lastUri?: string;
}

const MAX_CONVS = 65536;

onTcpStreamForgotten((state, stream) => state.slot<Map<number, HttpConv>>('http', () => new Map()).delete(stream));

function convOf(app: TcpAppContext): HttpConv {
  const convs = app.ctx.state.slot<Map<number, HttpConv>>('http', () => new Map());
  let c = convs.get(app.stream);
  if (c === undefined) {
    if (convs.size >= MAX_CONVS) convs.delete(convs.keys().next().value as number);
    c = { count: 0, unfinished: new Set() };
    convs.set(app.stream, c);
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// What the output reads of the HTTP tree, asked once per capture (state.wants).

interface HttpWants {
  /** Any http.* field (the request/response matching state moves on regardless). */
  any: boolean;
  /** A tree output (-V, -T json): the unnamed text items too. */
  tree: boolean;
  /** The start line's fields (method, URI, version, status code, phrase) and its expert. */
  start: boolean;
  /** The header lines and the fields named after headers. */
  headers: boolean;
  fullUri: boolean;
  /** The generated request/response matching fields. */
  exchange: boolean;
  chunks: boolean;
  fileData: boolean;
}

function httpWants(st: DissectState): HttpWants {
  return st.slot<HttpWants>('http-wants', () => {
    const w = (prefix: string): boolean => st.wants(prefix);
    const headerNames = Object.values(HTTP_HEADER_FIELDS).map((h) => h.field);
    return {
      any: w('http'),
      tree: st.tree,
      start: w('http.request.method') || w('http.request.uri') || w('http.request.version') || w('http.response.') || w('http.chat'),
      headers: w('http.request.line') || w('http.response.line') || w('http.content_length') || headerNames.some(w),
      fullUri: w('http.request.full_uri'),
      exchange: w('http.request') || w('http.response') || w('http.time') || w('http.prev_re'),
      chunks: w('http.chunk'),
      fileData: w('http.file_data'),
    };
  });
}

function str(name: string, label: string, b: Uint8Array, start: number, end: number, o: { text?: string; hidden?: boolean; children?: Field[] } = {}): Field {
  return rawField(name, label, 'string', httpFieldValue(b, start, end), httpFieldText(b, start, end), start, end - start, o);
}

function genStr(name: string, label: string, value: string, at: number, o: { hidden?: boolean } = {}): Field {
  return rawField(name, label, 'string', value, value, at, 0, { generated: true, text: `[${label}: ${value}]`, ...o });
}

/** The media type of a Content-Type value: lower case, without parameters. */
function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi >= 0 ? value.slice(0, semi) : value).trim().toLowerCase();
}

function headerField(b: Uint8Array, h: HttpHeader, lineName: string): Field[] {
  const line = httpFieldText(b, h.start, h.next);
  const known = HTTP_HEADER_FIELDS[h.name.toLowerCase()];
  const lineField = str(lineName, 'Header line', b, h.start, h.next, { text: line, hidden: known !== undefined });
  if (known === undefined) return [lineField];
  if (known.field === 'http.content_length_header') {
    const v = httpFieldValue(b, h.valueStart, h.valueEnd);
    const children: Field[] = [];
    if (/^\s*\d+\s*$/.test(v)) {
      const n = BigInt(v.trim());
      children.push(
        rawField(
          'http.content_length',
          'Content length',
          'uint',
          n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n,
          n.toString(),
          h.start,
          h.next - h.start,
          { generated: true, text: `[Content length: ${n}]` },
        ),
      );
    }
    return [str(known.field, known.label, b, h.valueStart, h.valueEnd, { text: line, children }), lineField];
  }
  return [str(known.field, known.label, b, h.valueStart, h.valueEnd, { text: line }), lineField];
}

function uriFields(uri: string, at: number, len: number): Field[] {
  const q = uri.indexOf('?');
  if (q < 0) return [];
  const query = uri.slice(q + 1);
  const out: Field[] = [
    rawField('http.request.uri.path', 'Request URI Path', 'string', uri.slice(0, q), uri.slice(0, q), at, q),
    rawField('http.request.uri.query', 'Request URI Query', 'string', query, query, at + q + 1, len - q - 1),
  ];
  let p = at + q + 1;
  for (const param of query.split('&')) {
    out.push(rawField('http.request.uri.query.parameter', 'Request URI Query Parameter', 'string', param, param, p, param.length));
    p += param.length + 1;
  }
  return out;
}

interface Message {
  nodes: ProtoNode[];
  info: string;
  malformed: boolean;
}

/** One message from `start` (its whole length when `complete`), with the nodes that show it. */
function dissectMessage(b: Uint8Array, start: number, end: number, app: TcpAppContext, truncated: boolean): Message | undefined {
  // Without an output that reads http.* fields, only the columns, the nodes and the request/response
  // matching are made (state.wants); otherwise the parts of the tree it reads.
  const hw = httpWants(app.ctx.state);
  const head = hw.headers ? readHead(b, start, end, truncated) : readHeadFraming(b, start, end, truncated);
  if (head === undefined || head === 'more') return undefined;
  const fields: Field[] = [];
  const node: ProtoNode = { proto: 'http', label: 'Hypertext Transfer Protocol', offset: start, length: end - start, fields, malformed: [] };
  const nodes: ProtoNode[] = [node];
  const f = head.first;
  let info = `${httpColumnText(b, f.start, f.end)} `;
  const kids: Field[] = [];
  const line = httpFieldValue(b, f.start, f.end);
  const conv = convOf(app);
  const now: NsTime = { secs: app.ctx.packet.tsSec, nsecs: app.ctx.packet.tsNsec };
  const frame = app.ctx.packet.number;
  const request = head.kind === 'request';
  let requestUri = '';
  if (request && !hw.start) {
    const rest = line.slice(line.indexOf(' ') + 1);
    const sp2 = rest.lastIndexOf(' ');
    requestUri = sp2 >= 0 ? rest.slice(0, sp2) : rest;
  } else if (request) {
    const sp1 = line.indexOf(' ');
    const method = line.slice(0, sp1);
    const rest = line.slice(sp1 + 1);
    const sp2 = rest.lastIndexOf(' ');
    const uri = sp2 >= 0 ? rest.slice(0, sp2) : rest;
    requestUri = uri;
    const version = sp2 >= 0 ? rest.slice(sp2 + 1) : '';
    const uriAt = f.start + sp1 + 1;
    kids.push(rawField('http.request.method', 'Request Method', 'string', method, httpFieldText(b, f.start, f.start + sp1), f.start, sp1));
    kids.push(
      rawField('http.request.uri', 'Request URI', 'string', uri, httpFieldText(b, uriAt, uriAt + uri.length), uriAt, uri.length, {
        children: uriFields(uri, uriAt, uri.length),
      }),
    );
    // A request line without a version still shows an empty Request Version, as Wireshark's does.
    const versionAt = Math.min(uriAt + uri.length + 1, f.end);
    const versionText = version === '' ? '' : httpFieldText(b, versionAt, f.end);
    kids.push(rawField('http.request.version', 'Request Version', 'string', version, versionText, versionAt, version.length));
  } else if (hw.start) {
    const sp1 = line.indexOf(' ');
    const version = sp1 >= 0 ? line.slice(0, sp1) : line;
    kids.push(
      rawField('http.response.version', 'Response Version', 'string', version, httpFieldText(b, f.start, f.start + version.length), f.start, version.length),
    );
    const status = statusOf(b, head);
    if (!Number.isNaN(status)) {
      const at = f.start + sp1 + 1;
      kids.push(uintDec('http.response.code', 'Status Code', status, at, 3));
      const desc = HTTP_STATUS_TEXT[status] ?? 'Unknown';
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
  if (hw.start) {
    const firstText = httpColumnText(b, f.start, f.next);
    kids.unshift(expertField('http.chat', firstText, 'Chat', 'Sequence', f.start, 0));
    fields.push(textItem(firstText, f.start, f.next - f.start, kids));
  }
  // The first Host and Content-Type headers (their names in any letter case).
  const host = head.hostStart >= 0 ? httpFieldValue(b, head.hostStart, head.hostEnd).trim() : undefined;
  const contentType = head.typeStart >= 0 ? mediaType(httpFieldValue(b, head.typeStart, head.typeEnd)) : undefined;
  if (hw.headers) for (const h of head.headers) fields.push(...headerField(b, h, request ? 'http.request.line' : 'http.response.line'));
  if (head.blank !== undefined && hw.tree)
    fields.push(textItem(httpFieldText(b, head.blank.start, head.blank.next), head.blank.start, head.blank.next - head.blank.start));
  // Request/response matching.
  if (request) {
    const uri = requestUri;
    const full = host !== undefined && uri.startsWith('/') ? `http://${host}${uri}` : undefined;
    if (full !== undefined && hw.fullUri) fields.push(genStr('http.request.full_uri', 'Full request URI', full, start));
    const generated = requestFields(conv, full ?? uri, frame, now, start, hw.exchange);
    if (hw.exchange) fields.push(...generated);
  } else {
    const generated = responseFields(conv, frame, now, start, hw.exchange);
    if (hw.exchange) fields.push(...generated);
  }
  if (truncated && head.blank === undefined) {
    node.malformed.push({ layer: 'HTTP', offset: end, reason: 'HTTP message cut short by the capture' });
    return { nodes, info, malformed: true };
  }
  if (head.blank === undefined) return { nodes, info, malformed: false };
  // The body.
  const bodyStart = head.blank.next;
  let body: Uint8Array = b.subarray(bodyStart, end);
  let bodyAt = bodyStart;
  if (head.chunked) {
    const chunked = walkChunks(b, bodyStart, end);
    if (chunked !== undefined) {
      const items: Field[] = [];
      const parts: Uint8Array[] = [];
      for (const c of chunked.chunks) {
        if (!hw.chunks) {
          if (c.size > 0) parts.push(b.subarray(c.dataStart, c.dataStart + c.size));
          continue;
        }
        if (c.size === 0) {
          items.push(
            textItem('End of chunked encoding', c.sizeLine.start, c.sizeLine.next - c.sizeLine.start, [
              uintDec('http.chunk_size', 'Chunk size', 0, c.sizeLine.start, c.sizeLine.next - c.sizeLine.start, { text: 'Chunk size: 0 octets' }),
            ]),
          );
          continue;
        }
        parts.push(b.subarray(c.dataStart, c.dataStart + c.size));
        const kids2: Field[] = [
          uintDec('http.chunk_size', 'Chunk size', c.size, c.sizeLine.start, c.sizeLine.next - c.sizeLine.start, { text: `Chunk size: ${c.size} octets` }),
          bytesField('http.chunk_data', 'Chunk data', b, c.dataStart, c.size),
        ];
        if (c.boundary !== undefined) kids2.push(bytesField('http.chunk_boundary', 'Chunk boundary', b, c.boundary.start, c.boundary.next - c.boundary.start));
        items.push(textItem(`Data chunk (${c.size} octets)`, c.sizeLine.start, (c.boundary?.next ?? c.dataStart + c.size) - c.sizeLine.start, kids2));
      }
      if (hw.chunks)
        for (const t of chunked.trailers) {
          if (t.end === t.start) items.push(textItem(httpFieldText(b, t.start, t.next), t.start, t.next - t.start));
          else items.push(str('http.chunked_trailer_part', 'trailer-part', b, t.start, t.next, { text: httpFieldText(b, t.start, t.next) }));
        }
      if (hw.chunks) fields.push(textItem(`HTTP chunked response`, bodyStart, chunked.end - bodyStart, items));
      const total = parts.reduce((n, p) => n + p.length, 0);
      const joined = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.length;
      }
      body = joined;
      bodyAt = -1;
    }
  }
  if (body.length === 0) return { nodes, info, malformed: false };
  if (hw.fileData)
    fields.push(
      rawField(
        'http.file_data',
        'File Data',
        'string',
        httpFieldValue(body, 0, body.length),
        httpFieldText(body, 0, body.length),
        Math.max(bodyAt, bodyStart),
        body.length,
        { text: `File Data: ${body.length} bytes` },
      ),
    );
  const bodyNode = bodyNodeFor(contentType, body, bodyAt, b, hw.tree);
  if (bodyNode !== undefined) {
    nodes.push(bodyNode.node);
    if (bodyNode.named) info += ` (${contentType})`;
  }
  return { nodes, info, malformed: false };
}

/** The protocol Wireshark hands a body of this media type to (data-text-lines, urlencoded-form, media, data). */
function bodyNodeFor(
  contentType: string | undefined,
  body: Uint8Array,
  at: number,
  frame: Uint8Array,
  tree: boolean,
): { node: ProtoNode; named: boolean } | undefined {
  // Chunked bodies are a data source of their own: their nodes point at no frame bytes.
  const off = Math.max(at, 0);
  const len = at >= 0 ? body.length : 0;
  if (contentType !== undefined && TEXT_LINES_MEDIA_TYPES.has(contentType)) {
    let lines = 0;
    for (let i = 0; i < body.length; i++) if (body[i] === 0x0a) lines++;
    if (body.length > 0 && body[body.length - 1] !== 0x0a) lines++;
    return {
      node: {
        proto: 'data-text-lines',
        label: `Line-based text data: ${contentType} (${lines} lines)`,
        offset: off,
        length: len,
        fields: tree ? textLines(body, at) : [],
        malformed: [],
      },
      named: true,
    };
  }
  if (contentType === FORM_MEDIA_TYPE) return { node: formNode(body, off, at >= 0), named: true };
  if (contentType !== undefined && contentType !== 'application/octet-stream' && contentType !== '') {
    return { node: { proto: 'media', label: 'Media Type', offset: off, length: len, fields: [], malformed: [] }, named: true };
  }
  const n = at >= 0 ? dataNode(frame, at, body.length) : dataNode(body, 0, body.length);
  if (at < 0) {
    n.offset = 0;
    n.length = 0;
  }
  // Wireshark calls the data dissector with the HTTP tree as the parent.
  n.inside = true;
  return { node: n, named: false };
}

/**
 * A text item per line, its ending included (LF, CR LF or a lone CR, as tvb_find_line_end splits),
 * escaped as Wireshark's format_text writes it.
 */
function textLines(body: Uint8Array, at: number): Field[] {
  const out: Field[] = [];
  let i = 0;
  while (i < body.length) {
    let j = i;
    while (j < body.length && body[j] !== 0x0a && body[j] !== 0x0d) j++;
    if (j < body.length) j += body[j] === 0x0d && body[j + 1] === 0x0a ? 2 : 1;
    out.push(textItem(labelText(httpColumnText(body, i, j)), at >= 0 ? at + i : 0, at >= 0 ? j - i : 0));
    i = j;
  }
  return out;
}

/** A text item's label as Wireshark keeps it: 240 bytes or more are cut and marked ` [truncated]`. */
function labelText(text: string): string {
  return text.length < 240 ? text : ` [truncated]${text}`.slice(0, 238);
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** `HTML Form URL Encoded`: each key=value pair. */
function formNode(body: Uint8Array, at: number, inFrame: boolean): ProtoNode {
  const text = httpFieldValue(body, 0, body.length);
  const fields: Field[] = [];
  let p = at;
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    const key = formDecode(eq >= 0 ? pair.slice(0, eq) : pair);
    const value = eq >= 0 ? formDecode(pair.slice(eq + 1)) : '';
    const kids: Field[] = [rawField('urlencoded-form.key', 'Key', 'string', key, key, p, eq >= 0 ? eq : pair.length)];
    if (eq >= 0) kids.push(rawField('urlencoded-form.value', 'Value', 'string', value, value, p + eq + 1, pair.length - eq - 1));
    fields.push(textItem(`Form item: "${key}" = "${value}"`, p, pair.length, kids));
    p += pair.length + 1;
  }
  return {
    proto: 'urlencoded-form',
    label: `HTML Form URL Encoded: ${FORM_MEDIA_TYPE}`,
    offset: inFrame ? at : 0,
    length: inFrame ? body.length : 0,
    fields,
    malformed: [],
  };
}

/** A body segment seen without desegmentation: `http` with the bytes as http.file_data, then `data`. */
function continuation(b: Uint8Array, at: number, length: number): ProtoNode[] {
  const fields: Field[] = [
    rawField('http.file_data', 'File Data', 'string', httpFieldValue(b, at, at + length), httpFieldText(b, at, at + length), at, length, {
      text: `File Data: ${length} bytes`,
    }),
  ];
  return [
    { proto: 'http', label: 'Hypertext Transfer Protocol', offset: at, length, fields, malformed: [] },
    { ...dataNode(b, at, length), inside: true },
  ];
}

/** The Info text Wireshark leaves when a message's first line is whole but the message is not. */
function partialInfo(head: Uint8Array): string | undefined {
  const h = readHead(head);
  if (h === undefined || h === 'more') return undefined;
  return `${httpColumnText(head, h.first.start, h.first.end)} `;
}

export const httpTcpApp: TcpAppDissector = {
  name: 'http',
  ports: HTTP_TCP_PORTS,
  heuristic: (payload) => {
    const h = readHead(payload);
    return h !== undefined && h !== 'more';
  },
  pduLength: httpPduLength,
  infoSeparator: '',
  partialInfo,
  dissectsTruncated: true,
  partialWithoutReassembly: true,
  untilFin: (pdu) => {
    const h = readHead(pdu);
    return h !== undefined && h !== 'more' && h.kind === 'response' && h.blank !== undefined && !h.chunked && h.contentLength === undefined;
  },
  dissect(call: TcpAppCall, app: TcpAppContext): TcpAppOutput {
    const nodes: ProtoNode[] = [];
    const info: string[] = [];
    const conv = convOf(app);
    if (call.unreassembled && call.opaque !== undefined && call.pdus.length === 0 && conv.unfinished.has(app.src)) {
      // Without desegmentation, the rest of a message's body arrives as bytes that are no message.
      return { nodes: continuation(call.data, call.opaque.offset, call.opaque.length), info: ['Continuation'], protocol: 'HTTP' };
    }
    for (const pdu of call.pdus) {
      const end = Math.min(pdu.offset + pdu.length, call.data.length);
      const m = dissectMessage(call.data, pdu.offset, end, app, call.truncated === true);
      if (m === undefined) continue;
      // WebSocket hook: a 101 Switching Protocols to websocket hands the conversation on (websocket.ts).
      if (mayBeSwitching(call.data, pdu.offset, end)) noteHttpUpgrade(call.data, pdu.offset, end, app);
      if (call.unreassembled) {
        // The hook lists the whole messages (their length from httpPduLength), then the one the
        // segment does not finish (call.partial).
        if (pdu !== call.partial && pdu.offset + pdu.length <= call.data.length) conv.unfinished.delete(app.src);
        else conv.unfinished.add(app.src);
      }
      if (nodes.some((n) => n.proto === 'http')) m.nodes[0].unlisted = true;
      nodes.push(...m.nodes);
      info.push(m.info);
    }
    return nodes.length === 0 ? { nodes, info } : { nodes, info, protocol: 'HTTP' };
  },
};

// WebSocket (RFC 6455) in the dissector, as Wireshark 4.0 shows it. HTTP's 101 Switching Protocols
// with `Upgrade: websocket` hands the TCP conversation over for the frames after it, both
// directions (noteHttpUpgrade, called from http.ts); each direction is cut into WebSocket frames
// through the TCP stream reassembly (a frame split over segments is dissected on the segment that
// completes it, several frames in one segment each get their own tree). Fields: FIN, the reserved
// bits (and Per-Message Compressed when the 101 negotiated permessage-deflate), opcode, mask,
// payload lengths, masking key, then the unmasked payload: text (also handed to data-text-lines),
// binary (handed to data), close code and reason, ping/pong bytes. Compressed messages
// (permessage-deflate, RFC 7692) are inflated with the conversation's context, as Wireshark does.
// Info: `WebSocket Text [FIN] [MASKED] `, rewritten for each frame after TCP's fence.

import { constants as zc, inflateRawSync } from 'node:zlib';
import { expertField } from '../expert.ts';
import { bool, bytesField, type Field, formatBytesHex, type ProtoNode, rawField, uintDec, uintHex } from '../field.ts';
import { handOverStream, type TcpAppCall, type TcpAppContext, type TcpAppDissector, type TcpAppOutput } from '../tcp-reassembly-apps.ts';
import { dataNode } from './data.ts';
import { onTcpStreamForgotten } from './tcp-conversation-end.ts';
import { readHead, statusOf } from './http-message.ts';
import { bytesForText } from './link-fields.ts';
import { WEBSOCKET_CLOSE_CODES, WEBSOCKET_OPCODES } from './websocket-fields.ts';

/** What the 101 negotiated for one conversation. */
interface WsConv {
  /** The server's endpoint key (the sender of the 101). */
  server: string;
  deflate: boolean;
  serverNoContext: boolean;
  clientNoContext: boolean;
  /** Per direction (sender key): the compressed messages so far, for the shared LZ77 window. */
  history: Map<string, { parts: Uint8Array[]; size: number; out: number }>;
  /** Per direction: the frames of a message not finished yet (a Text or Binary without FIN). */
  fragments: Map<string, { opcode: number; pieces: { frame: number; bytes: Uint8Array }[]; size: number }>;
}

const MAX_CONVS = 65536;

onTcpStreamForgotten((state, stream) => state.slot<Map<number, WsConv>>('websocket', () => new Map()).delete(stream));
/** Compressed history kept per direction; past it, messages are inflated without it. */
const MAX_HISTORY = 8 << 20;
/** A decompressed message larger than this is reported, not inflated (a deflate bomb). */
const MAX_INFLATED = 64 << 20;

function convs(app: TcpAppContext): Map<number, WsConv> {
  return app.ctx.state.slot<Map<number, WsConv>>('websocket', () => new Map());
}

/**
 * Called by HTTP for each message it dissects: a 101 response whose Upgrade names websocket hands the
 * conversation to the WebSocket dissector after this frame, with the extensions it negotiated.
 */
export function noteHttpUpgrade(b: Uint8Array, start: number, end: number, app: TcpAppContext): void {
  const head = readHead(b, start, end);
  if (head === undefined || head === 'more' || head.kind !== 'response' || statusOf(b, head) !== 101) return;
  const dec = new TextDecoder('latin1');
  let upgrade = '';
  let extensions = '';
  for (const h of head.headers) {
    const name = h.name.toLowerCase();
    const value = dec.decode(b.subarray(h.valueStart, h.valueEnd));
    if (name === 'upgrade') upgrade += `${value},`;
    else if (name === 'sec-websocket-extensions') extensions += `${value},`;
  }
  if (!upgrade.split(',').some((u) => u.trim().toLowerCase() === 'websocket')) return;
  const params = extensions
    .split(',')
    .map((e) => e.split(';').map((p) => p.trim().toLowerCase()))
    .find((p) => p[0] === 'permessage-deflate');
  const all = convs(app);
  if (all.size >= MAX_CONVS) all.delete(all.keys().next().value as number);
  all.set(app.stream, {
    server: app.src,
    deflate: params !== undefined,
    serverNoContext: params?.includes('server_no_context_takeover') ?? false,
    clientNoContext: params?.includes('client_no_context_takeover') ?? false,
    history: new Map(),
    fragments: new Map(),
  });
  handOverStream(app.ctx.state, app.stream, 'websocket', app.ctx.packet.number);
}

/** Length of the WebSocket frame at the head of a stream, header included (0: header not all there). */
export function websocketPduLength(head: Uint8Array): number {
  if (head.length < 2) return 0;
  const len7 = head[1] & 0x7f;
  const hdr = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (head[1] & 0x80 ? 4 : 0);
  if (head.length < hdr) return 0;
  let len = len7;
  if (len7 === 126) len = (head[2] << 8) | head[3];
  else if (len7 === 127) {
    const big = new DataView(head.buffer, head.byteOffset + 2, 8).getBigUint64(0);
    if (big > BigInt(Number.MAX_SAFE_INTEGER - hdr)) return -1;
    len = Number(big);
  }
  return hdr + len;
}

/** A UTF-8 string as tshark prints it: control characters escaped. */
function textShow(s: string): string {
  const esc: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };
  return s.replace(/[\x00-\x1f\x7f\\]/g, (c) => esc[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Inflates one permessage-deflate message with the direction's earlier messages as its window. */
function inflateMessage(conv: WsConv, sender: string, payload: Uint8Array): Uint8Array | undefined {
  const noContext = sender === conv.server ? conv.serverNoContext : conv.clientNoContext;
  let h = conv.history.get(sender);
  if (h === undefined || noContext || h.size + payload.length > MAX_HISTORY) {
    h = { parts: [], size: 0, out: 0 };
    conv.history.set(sender, h);
  }
  const tail = Uint8Array.of(0, 0, 0xff, 0xff);
  try {
    const all = inflateRawSync(Buffer.concat([...h.parts, payload, tail]), { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: h.out + MAX_INFLATED });
    const out = all.subarray(h.out);
    h.parts.push(Uint8Array.from(payload), tail);
    h.size += payload.length + 4;
    h.out = all.length;
    return out;
  } catch {
    conv.history.delete(sender);
    return undefined;
  }
}

/**
 * A UTF-8 string item as Wireshark 4.0 adds one: the value stops at the first NUL, and characters
 * after it are reported (`Trailing stray characters`).
 */
function stringItem(name: string, label: string, bytes: Uint8Array, at: number, length: number): Field {
  const nul = bytes.indexOf(0);
  const value = new TextDecoder('utf-8').decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
  const text = textShow(value);
  const stray = nul >= 0 && bytes.subarray(nul).some((c) => c !== 0);
  const children = stray ? [expertField('_ws.string.trailing_stray_characters', 'Trailing stray characters', 'Warning', 'Undecoded', at, length)] : undefined;
  return rawField(name, label, 'string', value, text, at, length, { text: `${label}: ${text}`, children });
}

function lineCount(b: Uint8Array): number {
  let n = 0;
  for (const c of b) if (c === 0x0a) n++;
  return b.length > 0 && b[b.length - 1] !== 0x0a ? n + 1 : n;
}

/** FT_NONE items print as 1 with -T fields in tshark 4.0. */
function noneField(name: string, label: string, at: number, length: number, children?: Field[]): Field {
  return rawField(name, label, 'none', null, '1', at, length, { text: label, children });
}

interface WsFrame {
  nodes: ProtoNode[];
  info: string;
}

function dissectFrame(b: Uint8Array, at: number, length: number, app: TcpAppContext, conv: WsConv | undefined): WsFrame | undefined {
  const end = at + length;
  if (length < 2) return undefined;
  const b0 = b[at];
  const b1 = b[at + 1];
  const fin = (b0 & 0x80) !== 0;
  const rsv = (b0 & 0x70) >> 4;
  const opcode = b0 & 0x0f;
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  const fields: Field[] = [];
  // `1... .... ` style: the byte's bits under the mask, dots elsewhere.
  const bit = (v: number, mask: number, _width: number): string => {
    const s = [...v.toString(2).padStart(8, '0')].map((c, i) => ((mask >> (7 - i)) & 1 ? c : '.')).join('');
    return `${s.slice(0, 4)} ${s.slice(4)}`;
  };
  fields.push(bool('websocket.fin', 'Fin', fin, at, 1, { text: `${bit(b0, 0x80, 1)} = Fin: ${fin ? 'True' : 'False'}` }));
  fields.push(uintHex('websocket.rsv', 'Reserved', rsv, 2, at, 1, { text: `${bit(b0, 0x70, 3)} = Reserved: 0x${rsv.toString(16)}` }));
  const pmc = conv?.deflate === true && (b0 & 0x40) !== 0;
  if (conv?.deflate)
    fields.push(
      bool('websocket.pmc', 'Per-Message Compressed', pmc, at, 1, { text: `${bit(b0, 0x40, 1)} = Per-Message Compressed: ${pmc ? 'True' : 'False'}` }),
    );
  const opName = WEBSOCKET_OPCODES[opcode];
  fields.push(uintDec('websocket.opcode', 'Opcode', opcode, at, 1, { text: `${bit(b0, 0x0f, 4)} = Opcode: ${opName ?? 'Unknown'} (${opcode})` }));
  fields.push(bool('websocket.mask', 'Mask', masked, at + 1, 1, { text: `${bit(b1, 0x80, 1)} = Mask: ${masked ? 'True' : 'False'}` }));
  fields.push(uintDec('websocket.payload_length', 'Payload length', len7, at + 1, 1, { text: `${bit(b1, 0x7f, 7)} = Payload length: ${len7}` }));
  let p = at + 2;
  if (len7 === 126 && p + 2 <= end) {
    const v = (b[p] << 8) | b[p + 1];
    fields.push(uintDec('websocket.payload_length_ext_16', 'Extended Payload length (16 bits)', v, p, 2));
    p += 2;
  } else if (len7 === 127 && p + 8 <= end) {
    const v = new DataView(b.buffer, b.byteOffset + p, 8).getBigUint64(0);
    fields.push(uintDec('websocket.payload_length_ext_64', 'Extended Payload length (64 bits)', v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v, p, 8));
    p += 8;
  }
  let key: Uint8Array | undefined;
  if (masked && p + 4 <= end) {
    key = b.subarray(p, p + 4);
    fields.push(bytesField('websocket.masking_key', 'Masking-Key', b, p, 4));
    p += 4;
  }
  const node: ProtoNode = { proto: 'websocket', label: 'WebSocket', offset: at, length, fields, malformed: [] };
  const nodes: ProtoNode[] = [node];
  const name = opName ?? 'Unknown Opcode';
  // Wireshark 4.0's spacing, as its Info column has it.
  const info = fin ? `WebSocket ${name} [FIN] ${masked ? '[MASKED] ' : ''}` : `WebSocket ${name}[FRAGMENT] ${masked ? ' [MASKED] ' : ''}`;
  const raw = b.subarray(p, end);
  let payload: Uint8Array = raw;
  if (key !== undefined) {
    fields.push(noneField('websocket.masked_payload', 'Masked payload', p, raw.length));
    payload = raw.map((c, i) => c ^ (key as Uint8Array)[i & 3]);
  }
  // A message in several frames: the pieces are kept until the Continuation with FIN, which shows the
  // whole message (as Wireshark 4.0 does, without inflating a compressed one).
  const sender = app.src;
  const pending = conv?.fragments.get(sender);
  if (conv !== undefined && !fin && (opcode === 1 || opcode === 2)) {
    conv.fragments.set(sender, { opcode, pieces: [{ frame: app.ctx.packet.number, bytes: Uint8Array.from(payload) }], size: payload.length });
    fields.push(noneField('websocket.payload', 'Payload', p, raw.length));
    return { nodes, info };
  }
  if (conv !== undefined && opcode === 0 && pending !== undefined && pending.size + payload.length <= MAX_INFLATED) {
    pending.pieces.push({ frame: app.ctx.packet.number, bytes: Uint8Array.from(payload) });
    pending.size += payload.length;
    if (!fin) {
      fields.push(noneField('websocket.payload', 'Payload', p, raw.length));
      return { nodes, info };
    }
    conv.fragments.delete(sender);
    const whole = new Uint8Array(pending.size);
    let o = 0;
    for (const piece of pending.pieces) {
      whole.set(piece.bytes, o);
      o += piece.bytes.length;
    }
    const list = pending.pieces.map((x) => `#${x.frame}(${x.bytes.length})`).join(', ');
    const tree: Field[] = pending.pieces.map((x) =>
      rawField('websocket.fragment', 'Websocket Fragment', 'uint', x.frame, String(x.frame), p, 0, {
        text: `Frame: ${x.frame}, payload: 0-${x.bytes.length - 1} (${x.bytes.length} bytes)`,
      }),
    );
    tree.push(
      uintDec('websocket.fragment.count', 'Fragment count', pending.pieces.length, p, 0, { text: `Fragment count: ${pending.pieces.length}` }),
      uintDec('websocket.reassembled.length', 'Reassembled websocket Payload length', whole.length, p, 0, {
        text: `Reassembled websocket Payload length: ${whole.length}`,
      }),
    );
    const shown = payloadNodes(pending.opcode, whole, p, raw.length, nodes);
    fields.push(
      shown,
      noneField('websocket.fragments', `[${pending.pieces.length} Reassembled websocket Fragments (${whole.length} bytes): ${list}]`, p, 0, tree),
    );
    return { nodes, info };
  }
  if (pmc && (opcode === 1 || opcode === 2) && conv !== undefined) {
    const inflated = inflateMessage(conv, app.src, payload);
    if (inflated === undefined) {
      fields.push(expertField('websocket.decompression.failed.expert', 'Decompression failed', 'Warning', 'Protocol', p, raw.length));
    } else payload = inflated;
  }
  fields.push(payloadNodes(opcode, payload, p, raw.length, nodes));
  return { nodes, info };
}

/**
 * The Payload item for an opcode, and the node the payload goes on to (data-text-lines, data).
 * Payload fields point at the frame's payload bytes; their values are the unmasked (inflated) ones.
 */
function payloadNodes(opcode: number, payload: Uint8Array, p: number, rawLength: number, nodes: ProtoNode[]): Field {
  const raw = { length: rawLength };
  const kids: Field[] = [];
  const pl = payload.length;
  if (opcode === 1) {
    kids.push(stringItem('websocket.payload.text', 'Text', payload, p, raw.length));
    nodes.push({
      proto: 'data-text-lines',
      label: `Line-based text data (${lineCount(payload)} lines)`,
      offset: p,
      length: raw.length,
      fields: [],
      malformed: [],
    });
  } else if (opcode === 2) {
    if (pl > 0) {
      const d = dataNode(payload, 0, pl);
      d.offset = p;
      d.length = raw.length;
      for (const f of d.fields) {
        f.offset = p;
        f.length = f.name === 'data.len' ? 0 : raw.length;
      }
      nodes.push(d);
    }
  } else if (opcode === 8) {
    const close: Field[] = [];
    if (pl >= 2) {
      const code = (payload[0] << 8) | payload[1];
      close.push(
        uintDec('websocket.payload.close.status_code', 'Status code', code, p, 2, {
          text: `Status code: ${WEBSOCKET_CLOSE_CODES[code] ?? 'Unknown'} (${code})`,
        }),
      );
      if (pl > 2) {
        close.push(stringItem('websocket.payload.close.reason', 'Reason', payload.subarray(2), p + 2, pl - 2));
      }
    }
    kids.push(noneField('websocket.payload.close', 'Close', p, raw.length, close));
  } else if (pl > 0) {
    const name = opcode === 9 ? 'ping' : opcode === 10 ? 'pong' : opcode === 0 ? 'continue' : 'unknown';
    const label = opcode === 9 ? 'Ping' : opcode === 10 ? 'Pong' : opcode === 0 ? 'Continue' : 'Unknown';
    kids.push(
      rawField(`websocket.payload.${name}`, label, 'bytes', Uint8Array.from(payload), formatBytesHex(payload), p, raw.length, {
        text: `${label}: ${bytesForText(payload)}`,
      }),
    );
  }
  return noneField('websocket.payload', 'Payload', p, raw.length, kids);
}

export const websocketTcpApp: TcpAppDissector = {
  name: 'websocket',
  ports: new Set(),
  pduLength: websocketPduLength,
  infoSeparator: '',
  dissect(call: TcpAppCall, app: TcpAppContext): TcpAppOutput {
    const conv = convs(app).get(app.stream);
    const nodes: ProtoNode[] = [];
    const info: string[] = [];
    for (const pdu of call.pdus) {
      const f = dissectFrame(call.data, pdu.offset, Math.min(pdu.length, call.data.length - pdu.offset), app, conv);
      if (f === undefined) continue;
      // Each frame rewrites the Info column (the last one's stays); frame.protocols names each
      // protocol once for the segment.
      info.length = 0;
      info.push(f.info);
      for (const n of f.nodes) if (nodes.some((m) => m.proto === n.proto)) n.unlisted = true;
      nodes.push(...f.nodes);
    }
    if (nodes.length === 0) return { nodes, info };
    // Wireshark reaches WebSocket through HTTP's dissector (no tree of its own here).
    nodes.unshift({ proto: 'http', label: 'Hypertext Transfer Protocol', offset: nodes[0].offset, length: 0, fields: [], malformed: [], noTree: true });
    return { nodes, info, protocol: 'WebSocket' };
  },
};

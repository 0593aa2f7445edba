// The hook from a TCP segment's payload to the application protocol above it, through the stream
// reassembly (tcp-reassembly.ts), as Wireshark hands TCP payloads on: a conversation a heuristic
// claimed before, else the protocol registered for one of the ports, else a heuristic (which then
// claims the conversation). The protocol says how long its PDUs are; this module shows on each frame
// what Wireshark shows:
//   - a PDU completed here from earlier segments: `[N Reassembled TCP Segments (L bytes): #a(x), ...]`
//     (tcp.segments, tcp.segment, tcp.segment.count, tcp.reassembled.length, tcp.reassembled.data)
//     followed by the protocol's tree over the reassembled bytes;
//   - then the protocol's tree over the whole PDUs of this segment;
//   - in the TCP tree, `TCP segment data (N bytes)` for the bytes that went into reassembly;
//   - on a frame that holds no whole PDU, Protocol "TCP" and Info "... [TCP segment of a reassembled PDU]".
// Segments Wireshark keeps from its dissectors (retransmissions, out-of-order) are left alone.
//
// A protocol joins by being listed in TCP_APPS (src/dissect/protocols/transport-mappers.ts).

import type { DecodedLayer } from '../wire/layer.ts';
import type { Tcp } from '../wire/tcp.ts';
import type { DissectContext, DissectState } from './context.ts';
import { type Field, formatBytesHex, type ProtoNode, rawField, uintDec } from './field.ts';
import { registerFields } from './known-fields.ts';
import { dataNode, WIRESHARK_TCP_PORTS } from './protocols/data.ts';
import { dissectProxy, type ProxyDissection } from './protocols/proxy.ts';
import { bytesForText } from './protocols/link-fields.ts';
import { tcpHoldsPayload, tcpSegmentSeen } from './protocols/tcp.ts';
import { onTcpStreamForgotten } from './protocols/tcp-conversation-end.ts';
import { enclosingIpOf, endpointKey } from './protocols/udp.ts';
import { type FlowKey, type FrameRange, type PduLengthFn, type SegmentOutcome, type SegmentPiece, splitPdus, TcpReassembler } from './tcp-reassembly.ts';

registerFields({
  'tcp.segments': 'FT_NONE',
  'tcp.segment': 'FT_FRAMENUM',
  'tcp.segment.count': 'FT_UINT32',
  'tcp.reassembled.length': 'FT_UINT32',
  'tcp.reassembled.data': 'FT_BYTES',
  'tcp.segment_data': 'FT_BYTES',
});

/** One call of an application dissector: a data source and what lies in it. */
export interface TcpAppCall {
  /** The frame's bytes, or a PDU reassembled from several segments (its own data source). */
  data: Uint8Array;
  reassembled: boolean;
  /** Whole PDUs in `data`. */
  pdus: FrameRange[];
  /** The start of a PDU that continues in later segments (only in a frame's own bytes). */
  partial?: FrameRange;
  /** Bytes that are no PDU of the protocol. */
  opaque?: FrameRange;
  /** The segment is not desegmented (bad checksum): a PDU in `pdus` may end past the segment. */
  unreassembled?: boolean;
  /** The capture cut the segment short: one PDU from the payload's start, as far as the bytes go. */
  truncated?: boolean;
}

/** Where the segment belongs, for per-conversation state. */
export interface TcpAppContext {
  ctx: DissectContext;
  /** tcp.stream of the segment. */
  stream: number;
  srcPort: number;
  dstPort: number;
  /** The sender's address/port key and the receiver's (endpointKey). */
  src: string;
  dst: string;
}

export interface TcpAppOutput {
  nodes: ProtoNode[];
  /** Info column parts; the hook joins them with ", " as Wireshark's col_append_sep_str does. */
  info: string[];
  /** Protocol column, when the call set it. */
  protocol?: string;
  /** Items the call adds to the TCP tree after the payload (tcp_dissect_pdus' `[PDU Size: N]`). */
  tcpFields?: Field[];
}

export interface TcpAppDissector {
  /** Protocol filter name ('tls'). */
  name: string;
  /** TCP ports the protocol is registered on (Wireshark's port table). */
  ports: ReadonlySet<number>;
  /** Wireshark's heuristic for other ports: true claims the conversation for the protocol. */
  heuristic?(payload: Uint8Array): boolean;
  /** Wireshark's dissector may refuse a segment it does not believe (TLS refuses printable text). */
  accepts?(head: Uint8Array): boolean;
  pduLength: PduLengthFn;
  dissect(call: TcpAppCall, app: TcpAppContext): TcpAppOutput;
  /**
   * How the Info parts of the calls on one segment join: ', ' (the default, Wireshark's
   * col_append_sep_str, as TLS writes) or '' (a protocol that rewrites the column for each PDU, as
   * DNS does, after TCP fenced what the completed PDU wrote).
   */
  infoSeparator?: string;
  /** Between TCP's `[TCP ...] ` notes and the protocol's Info: ', ' (TLS appends with a separator) unless set ('' for LDAP). */
  afterTcpNote?: string;
  /**
   * The protocol clears the Info column before it asks for more bytes (TLS does): a segment that only
   * starts a PDU then shows just TCP's `[TCP segment of a reassembled PDU]`. Otherwise (DNS) TCP's
   * own Info stays in front of it.
   */
  clearsInfo?: boolean;
  /**
   * In a segment that is not desegmented (bad checksum), a PDU the segment does not finish is still
   * handed to the protocol, cut short (Wireshark's tcp_dissect_pdus does; TLS keeps its own rules).
   */
  partialWithoutReassembly?: boolean;
  /**
   * The Info text the protocol leaves on a segment that holds the start of a PDU it waits to
   * complete (HTTP writes the request or status line before asking for more); undefined leaves TCP's.
   */
  partialInfo?(head: Uint8Array): string | undefined;
  /** The protocol dissects what a segment the capture cut short holds (Wireshark's HTTP does). */
  dissectsTruncated?: boolean;
  /**
   * The unfinished PDU (bytes so far) runs to the end of the connection: at the sender's FIN it is
   * dissected whole (an HTTP response without a length).
   */
  untilFin?(pdu: Uint8Array): boolean;
}

interface AppState {
  reassembler: TcpReassembler;
  /** Conversations (tcp.stream) a heuristic gave to a protocol. */
  claimed: Map<number, string>;
  /** Conversations handed to another protocol after a frame (HTTP's 101 Switching Protocols). */
  handedOver: Map<number, { name: string; after: number }>;
}

/**
 * The longest PDU reassembled (a 70 KB WebSocket message, an HTTP body past 64 KiB); the reassembler's
 * maxBufferedBytes still bounds what is held over all directions.
 */
const MAX_APP_PDU = 16 << 20;

function appState(state: DissectState): AppState {
  return state.slot<AppState>('tcp-apps', () => ({ reassembler: new TcpReassembler({ maxPduBytes: MAX_APP_PDU }), claimed: new Map(), handedOver: new Map() }));
}

/**
 * Hands a conversation to protocol `name` for the frames after `afterFrame`, both directions (as
 * Wireshark's HTTP passes a connection on to the protocol a 101 Switching Protocols names).
 */
export function handOverStream(state: DissectState, stream: number, name: string, afterFrame: number): void {
  const st = appState(state);
  if (st.handedOver.size >= MAX_CLAIMED) st.handedOver.delete(st.handedOver.keys().next().value as number);
  st.handedOver.set(stream, { name, after: afterFrame });
}

/** What the hook made of a segment. */
export interface TcpAppResult {
  /** Nodes to show after the TCP node (segments tree, protocol trees). */
  nodes: ProtoNode[];
  /** The payload went to the protocol: no `data` node for it. */
  consumed: boolean;
}

const MAX_CLAIMED = 65536;

/** The payload a FIN without data offers the heuristics (never written). */
const NO_BYTES = new Uint8Array(0);

onTcpStreamForgotten((state, stream) => {
  const st = appState(state);
  st.claimed.delete(stream);
  st.handedOver.delete(stream);
});

function fieldNumber(node: ProtoNode, name: string): number | undefined {
  const fields = node.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.name === name) return typeof f.value === 'number' ? f.value : undefined;
  }
  return undefined;
}

function chooseApp(apps: readonly TcpAppDissector[], st: AppState, stream: number, v: Tcp, head: Uint8Array, frame: number): TcpAppDissector | undefined {
  const handed = st.handedOver.get(stream);
  if (handed !== undefined && frame > handed.after) {
    const to = apps.find((a) => a.name === handed.name);
    if (to !== undefined) return to;
  }
  const claimed = st.claimed.get(stream);
  if (claimed !== undefined) return apps.find((a) => a.name === claimed);
  // Port tables: the lower port first, as Wireshark tries them.
  const lo = Math.min(v.srcPort, v.dstPort);
  const hi = Math.max(v.srcPort, v.dstPort);
  const byLo = appOnPort(apps, lo);
  if (byLo !== undefined) return byLo;
  const byHi = appOnPort(apps, hi);
  if (byHi !== undefined) return byHi;
  // A port another Wireshark dissector owns takes the payload before any heuristic.
  if (WIRESHARK_TCP_PORTS.has(lo) || WIRESHARK_TCP_PORTS.has(hi)) return undefined;
  for (const a of apps) {
    if (a.heuristic?.(head)) {
      if (st.claimed.size >= MAX_CLAIMED) st.claimed.delete(st.claimed.keys().next().value as number);
      st.claimed.set(stream, a.name);
      return a;
    }
  }
  return undefined;
}

/** The first protocol registered on the port. */
function appOnPort(apps: readonly TcpAppDissector[], port: number): TcpAppDissector | undefined {
  for (let i = 0; i < apps.length; i++) if (apps[i].ports.has(port)) return apps[i];
  return undefined;
}

/**
 * Wireshark's PROXY heuristic: only on a conversation nothing claimed, on ports no dissector owns,
 * with no PDU of another protocol waiting for this segment.
 */
function proxyPrefix(
  apps: readonly TcpAppDissector[],
  st: AppState,
  stream: number,
  dir: Direction,
  v: Tcp,
  frame: Uint8Array,
  offset: number,
  length: number,
): ProxyDissection | undefined {
  if (st.claimed.has(stream)) return undefined;
  if (WIRESHARK_TCP_PORTS.has(v.srcPort) || WIRESHARK_TCP_PORTS.has(v.dstPort)) return undefined;
  if (appOnPort(apps, v.srcPort) !== undefined || appOnPort(apps, v.dstPort) !== undefined) return undefined;
  for (let i = 0; i < apps.length; i++) if (st.reassembler.hasPending(flowKey(apps, apps[i], stream, dir))) return undefined;
  return dissectProxy(frame, offset, length);
}

/** A direction of a TCP stream: from the mapper (forward or not), else the sender's endpoint key. */
interface Direction {
  forward: boolean | undefined;
  src: string;
}

/** The reassembler's key for one protocol on one direction of a stream (a number when the mapper said the direction). */
function flowKey(apps: readonly TcpAppDissector[], app: TcpAppDissector, stream: number, dir: Direction): FlowKey {
  const i = apps.indexOf(app);
  if (dir.forward !== undefined && i >= 0 && i < 8) return stream * 16 + (dir.forward ? 0 : 8) + i;
  return `${app.name}|${stream}|${dir.src}`;
}

/**
 * Runs the application hook for a TCP layer already mapped into `tcpNode`. Returns undefined when no
 * protocol takes the payload (it stays `data`).
 */
export function dissectTcpApp(layer: DecodedLayer, ctx: DissectContext, tcpNode: ProtoNode, apps: readonly TcpAppDissector[]): TcpAppResult | undefined {
  if (apps.length === 0 || ctx.inIcmpError || layer.malformed.length > 0) return undefined;
  const v = layer.value as Tcp;
  if (v.headerBytes < 20 || v.bogusHeaderLength) return undefined;
  // What the mapper found for this segment (read from its fields when it was not the last one mapped).
  const seen = tcpSegmentSeen(ctx, layer.offset);
  let seglen = seen !== undefined ? (seen.seglen < 0 ? undefined : seen.seglen) : fieldNumber(tcpNode, 'tcp.len');
  const stream = seen !== undefined ? seen.stream : fieldNumber(tcpNode, 'tcp.stream');
  if (seglen === 0 && stream !== undefined && v.flags.fin) return finishAtFin(layer, ctx, v, stream, apps, seen?.forward);
  if (seglen === undefined || stream === undefined || seglen === 0) return undefined;
  let payloadOffset = layer.offset + v.headerLength;
  if (tcpHoldsPayload(ctx, payloadOffset)) return undefined;
  const st = appState(ctx.state);
  // A payload cut short by the capture is not reassembled (Wireshark cannot either).
  const available = Math.max(ctx.frame.length - payloadOffset, 0);
  const truncated = available < seglen;
  const head = ctx.frame.subarray(payloadOffset, payloadOffset + Math.min(seglen, available));
  if (truncated && available === 0) return undefined;
  // A PROXY header (Wireshark's heuristic, tried where no port or conversation decides): v2 keeps
  // the segment, v1 hands the bytes after its line on to the protocol chosen for them.
  const ip = enclosingIpOf(ctx);
  const src = endpointKey(ip?.src, v.srcPort);
  const dir: Direction = { forward: seen?.forward, src };
  const proxy = truncated ? undefined : proxyPrefix(apps, st, stream, dir, v, ctx.frame, payloadOffset, seglen);
  let pre: ProtoNode | undefined;
  let seq = v.seq;
  if (proxy !== undefined) {
    pre = proxy.node;
    const tcpInfoNow = tcpNode.columns?.info ?? '';
    pre.columns = { ...pre.columns, protocol: `PROXYv${proxy.version}`, info: tcpInfoNow };
    if (proxy.consumed >= seglen) return { nodes: [pre], consumed: true };
    payloadOffset += proxy.consumed;
    seglen -= proxy.consumed;
    seq = (seq + proxy.consumed) >>> 0;
  }
  const rest = pre === undefined ? head : ctx.frame.subarray(payloadOffset, payloadOffset + seglen);
  const app = chooseApp(apps, st, stream, v, rest, ctx.packet.number);
  if (pre !== undefined && app === undefined) return { nodes: [pre, dataNode(ctx.frame, payloadOffset, seglen)], consumed: true };
  if (app === undefined || (truncated && !app.dissectsTruncated)) return undefined;
  const dst = endpointKey(ip?.dst, v.dstPort);
  if (truncated) {
    const o = app.dissect(
      { data: ctx.frame, reassembled: false, pdus: [{ offset: payloadOffset, length: available }], truncated: true },
      { ctx, stream, srcPort: v.srcPort, dstPort: v.dstPort, src, dst },
    );
    if (o.nodes.length === 0) return undefined;
    const last = o.nodes[o.nodes.length - 1];
    last.columns = { ...last.columns, protocol: o.protocol ?? app.name.toUpperCase(), info: o.info.join(app.infoSeparator ?? ', ') };
    return { nodes: o.nodes, consumed: true };
  }
  const flow = flowKey(apps, app, stream, dir);
  if (!st.reassembler.hasPending(flow) && app.accepts !== undefined && !app.accepts(rest))
    return pre === undefined ? undefined : { nodes: [pre, dataNode(ctx.frame, payloadOffset, seglen)], consumed: true };
  // A segment whose checksum is bad is not desegmented (Wireshark: "incorrect TCP checksum"): its
  // whole PDUs are dissected, a PDU it does not finish is not kept.
  const noReassembly = v.checksumStatus === 'bad';
  const out: SegmentOutcome = noReassembly
    ? { skipped: 0, fresh: splitPdus(ctx.frame, payloadOffset, seglen, app.pduLength) }
    : st.reassembler.segment(flow, { frame: ctx.packet.number, seq, frameBytes: ctx.frame, payloadOffset, payloadLength: seglen }, app.pduLength);
  const actx: TcpAppContext = { ctx, stream, srcPort: v.srcPort, dstPort: v.dstPort, src, dst };
  const nodes: ProtoNode[] = [];
  const info: string[] = [];
  let protocol: string | undefined;
  let dissected = false;
  const segmentData: FrameRange[] = [];
  const take = (o: TcpAppOutput): void => {
    if (o.tcpFields !== undefined) tcpNode.fields.push(...o.tcpFields);
    nodes.push(...o.nodes);
    info.push(...o.info);
    if (o.protocol !== undefined && protocol === undefined) protocol = o.protocol;
  };
  if (out.continuation !== undefined) segmentData.push(out.continuation);
  if (out.reassembled !== undefined) {
    const r = out.reassembled;
    segmentData.push(r.tail);
    nodes.push(segmentsNode(r.data, r.segments, ctx.state.wants('tcp.segment') || ctx.state.wants('tcp.reassembled')));
    const call: TcpAppCall = { data: r.data, reassembled: true, pdus: r.pdus };
    if (r.opaque) call.opaque = { offset: 0, length: r.data.length };
    if (r.opaqueTail !== undefined) call.opaque = r.opaqueTail;
    if (r.partial !== undefined) call.partial = r.partial;
    const o = app.dissect(call, actx);
    // Fields point into the reassembled bytes; the nodes highlight this frame's part of them.
    for (const n of o.nodes) {
      n.offset = r.tail.offset;
      n.length = r.tail.length;
    }
    take(o);
    dissected = true;
  }
  if (out.fresh !== undefined) {
    const f = out.fresh;
    const pdus = noReassembly && app.partialWithoutReassembly && f.partial !== undefined ? [...f.pdus, f.partial] : f.pdus;
    const call: TcpAppCall = { data: ctx.frame, reassembled: false, pdus };
    if (noReassembly) call.unreassembled = true;
    if (f.partial !== undefined) {
      call.partial = f.partial;
      if (!noReassembly) segmentData.push(f.partial);
    }
    if (f.opaque !== undefined) call.opaque = f.opaque;
    take(app.dissect(call, actx));
    if (pdus.length > 0 || f.opaque !== undefined) dissected = true;
    // Bytes after a message that handed the conversation over in this frame (HTTP's 101) go to the
    // protocol it names, whose own reassembly starts there.
    const handed = st.handedOver.get(stream);
    const next = handed !== undefined && handed.after === ctx.packet.number && handed.name !== app.name ? apps.find((a) => a.name === handed.name) : undefined;
    if (next !== undefined && f.opaque !== undefined && !noReassembly) {
      const o = f.opaque;
      const out2 = st.reassembler.segment(
        flowKey(apps, next, stream, dir),
        { frame: ctx.packet.number, seq: (seq + (o.offset - payloadOffset)) >>> 0, frameBytes: ctx.frame, payloadOffset: o.offset, payloadLength: o.length },
        next.pduLength,
      );
      const g = out2.fresh;
      if (g !== undefined) {
        const call2: TcpAppCall = { data: ctx.frame, reassembled: false, pdus: g.pdus };
        if (g.partial !== undefined) {
          call2.partial = g.partial;
          segmentData.push(g.partial);
        }
        const o2 = next.dissect(call2, actx);
        // A protocol already listed for this frame (HTTP, through which WebSocket is reached) is not listed again.
        for (const n of o2.nodes) if (nodes.some((m) => m.proto === n.proto && !m.unlisted)) n.unlisted = true;
        nodes.push(...o2.nodes);
        info.push(...o2.info);
        if (o2.protocol !== undefined) protocol = o2.protocol;
      }
    }
  }
  if (ctx.state.wants('tcp.segment_data')) for (const r of segmentData) tcpNode.fields.push(segmentDataField(ctx.frame, r));
  if (pre !== undefined) nodes.unshift(pre);
  const tcpInfo = tcpNode.columns?.info ?? '';
  // Most segments carry no `[TCP ...]` note: the pattern runs only on those that start with one.
  const prefix = tcpInfo.startsWith('[TCP ') ? (/^(\[TCP [^\]]*\] )*/.exec(tcpInfo)?.[0] ?? '') : '';
  const last = nodes[nodes.length - 1] ?? tcpNode;
  const declined = nodes.length === 0 && info.length === 0 && protocol === undefined;
  if (declined && out.fresh !== undefined && out.fresh.pdus.length === 0 && out.fresh.partial === undefined && out.reassembled === undefined) {
    // The protocol refused the bytes (not a PDU of its own): TCP's columns stay.
  } else if (dissected || (noReassembly && !declined)) {
    const text = info.join(app.infoSeparator ?? ', ');
    last.columns = {
      ...last.columns,
      protocol: protocol ?? app.name.toUpperCase(),
      info: prefix !== '' && text !== '' ? `${prefix}${app.afterTcpNote ?? ', '}${text}` : prefix + text,
    };
  } else if (out.fresh !== undefined && !noReassembly && app.clearsInfo) {
    // The protocol cleared the Info column and asked for more: only TCP's note is left.
    last.columns = { ...last.columns, protocol: 'TCP', info: `${prefix}[TCP segment of a reassembled PDU]` };
  } else if (out.fresh !== undefined && !noReassembly) {
    const partial = out.fresh.partial;
    const own = partial !== undefined ? app.partialInfo?.(ctx.frame.subarray(partial.offset, partial.offset + partial.length)) : undefined;
    last.columns = { ...last.columns, protocol: 'TCP', info: `${own ?? tcpInfo} [TCP segment of a reassembled PDU]` };
  } else if (out.continuation !== undefined) {
    const own = out.retriedHead !== undefined ? app.partialInfo?.(out.retriedHead) : undefined;
    tcpNode.columns = { ...tcpNode.columns, info: `${own ?? tcpInfo} [TCP segment of a reassembled PDU]` };
  }
  return { nodes, consumed: true };
}

/** A FIN that ends a PDU running to the close: the PDU reassembled and dissected on this frame. */
function finishAtFin(
  layer: DecodedLayer,
  ctx: DissectContext,
  v: Tcp,
  stream: number,
  apps: readonly TcpAppDissector[],
  forward: boolean | undefined,
): TcpAppResult | undefined {
  const st = appState(ctx.state);
  const app = chooseApp(apps, st, stream, v, NO_BYTES, ctx.packet.number);
  if (app?.untilFin === undefined) return undefined;
  const ip = enclosingIpOf(ctx);
  const src = endpointKey(ip?.src, v.srcPort);
  const flow = flowKey(apps, app, stream, { forward, src });
  if (!st.reassembler.hasPending(flow)) return undefined;
  const r = st.reassembler.finish(flow, ctx.packet.number);
  if (r === undefined || !app.untilFin(r.data)) return undefined;
  const o = app.dissect(
    { data: r.data, reassembled: true, pdus: r.pdus },
    { ctx, stream, srcPort: v.srcPort, dstPort: v.dstPort, src, dst: endpointKey(ip?.dst, v.dstPort) },
  );
  if (o.nodes.length === 0) return undefined;
  const at = layer.offset + v.headerLength;
  for (const n of o.nodes) {
    n.offset = at;
    n.length = 0;
  }
  const last = o.nodes[o.nodes.length - 1];
  last.columns = { ...last.columns, protocol: o.protocol ?? app.name.toUpperCase(), info: o.info.join(app.infoSeparator ?? ', ') };
  return { nodes: [segmentsNode(r.data, r.segments, ctx.state.wants('tcp.segment') || ctx.state.wants('tcp.reassembled')), ...o.nodes], consumed: false };
}

/** `TCP segment data (N bytes)`: bytes of this segment that went into reassembly. */
function segmentDataField(frame: Uint8Array, r: FrameRange): Field {
  const b = frame.slice(r.offset, r.offset + r.length);
  return rawField('tcp.segment_data', 'TCP segment data', 'bytes', b, formatBytesHex(b), r.offset, r.length, {
    text: `TCP segment data (${r.length} byte${r.length === 1 ? '' : 's'})`,
  });
}

/**
 * Wireshark's `[N Reassembled TCP Segments (L bytes): #a(x), #b(y)]` tree, as a top-level node; its
 * fields only with `tree` (an output reads tcp.segment* or tcp.reassembled*).
 */
export function segmentsNode(data: Uint8Array, segments: readonly SegmentPiece[], tree = true): ProtoNode {
  const len = data.length;
  const list = segments.map((s) => `#${s.frame}(${s.length})`).join(', ');
  const label = `[${segments.length} Reassembled TCP Segments (${len} bytes): ${list}]`;
  if (!tree) return { proto: 'tcp.segments', label, offset: 0, length: 0, fields: [], malformed: [] };
  const fields: Field[] = segments.map((s) =>
    rawField('tcp.segment', 'Frame', 'uint', s.frame, String(s.frame), s.offset, s.length, {
      generated: true,
      text: `[Frame: ${s.frame}, payload: ${s.offset}-${s.offset + s.length - 1} (${s.length} byte${s.length === 1 ? '' : 's'})]`,
    }),
  );
  fields.push(
    uintDec('tcp.segment.count', 'Segment count', segments.length, 0, 0, { generated: true, text: `[Segment count: ${segments.length}]` }),
    uintDec('tcp.reassembled.length', 'Reassembled TCP length', len, 0, 0, { generated: true, text: `[Reassembled TCP length: ${len}]` }),
    rawField('tcp.reassembled.data', 'Reassembled TCP Data', 'bytes', data, formatBytesHex(data), 0, len, {
      generated: true,
      text: `[Reassembled TCP Data: ${bytesForText(data)}]`,
    }),
  );
  return { proto: 'tcp.segments', label, offset: 0, length: 0, fields, malformed: [] };
}

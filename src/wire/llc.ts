// IEEE 802.2 Logical Link Control in IEEE 802.3 length frames, and the Spanning Tree BPDU it carries.
//
//   802.3 frame: dst | src | length (<= 1500: bytes of LLC + payload) | LLC | payload | padding
//   LLC: DSAP (1) | SSAP (1) | control (1 byte for U frames, 2 for I and S frames)
//   DSAP 0x42, SSAP 0x42, control 0x03 (UI): a BPDU follows (stp.ts has its layout).
//
// `withLlc` wraps the Ethernet decoder: a frame whose type field is a length goes on to 'llc' with
// its payload cut to that length (the rest is padding or trailer). Raw 802.3 (Novell IPX, payload
// starting 0xffff) is left as data. Neither decoder throws; problems are malformations.

import { decodeBpdu, type Bpdu } from './stp.ts';
import { malformation, type DecodeContext, type DecodeStep, type LayerDecoder, type Malformation } from './layer.ts';

export const LLC_SAP_STP = 0x42;
/** Control field of an Unnumbered Information frame. */
export const LLC_CONTROL_UI = 0x03;

export interface Llc {
  dsap: number;
  ssap: number;
  /** The control field: 1 byte for U frames (low bits 11), else 2 bytes. */
  control: number;
  controlLength: 1 | 2;
}

export interface StpLayer {
  protocol: number;
  version: number;
  type: number;
  /** The decoded BPDU, or undefined when its bytes did not make one (see the layer's malformations). */
  bpdu?: Bpdu;
}

/** Wraps a decoder of a layer whose `type` may be an 802.3 length: such payloads go on as LLC. */
export function withLlc(inner: LayerDecoder): LayerDecoder {
  return (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
    const step = inner(ctx, offset, end);
    const type = (step.layer.value as { type?: unknown }).type;
    if (step.next !== null || typeof type !== 'number' || type === 0 || type > 1500) return step;
    const start = step.payloadOffset;
    if (start >= step.payloadEnd) return step;
    if (ctx.frame[start] === 0xff && ctx.frame[start + 1] === 0xff) return step;
    return { ...step, next: 'llc', payloadEnd: Math.min(step.payloadEnd, start + type) };
  };
}

export const decodeLlc: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const malformed: Malformation[] = [];
  if (avail < 3) {
    malformed.push(malformation('llc', offset, `LLC header truncated: ${avail} of 3 bytes`));
    const value: Llc = { dsap: b[offset] ?? 0, ssap: avail >= 2 ? b[offset + 1] : 0, control: 0, controlLength: 1 };
    return { layer: { kind: 'llc', offset, length: avail, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
  }
  const c0 = b[offset + 2];
  const controlLength: 1 | 2 = (c0 & 0x03) === 0x03 ? 1 : 2;
  if (offset + 2 + controlLength > end) {
    malformed.push(malformation('llc', offset + 2, 'LLC control field truncated: an I or S frame has 2 control bytes'));
    const value: Llc = { dsap: b[offset], ssap: b[offset + 1], control: c0, controlLength };
    return { layer: { kind: 'llc', offset, length: avail, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
  }
  const control = controlLength === 1 ? c0 : c0 | (b[offset + 3] << 8);
  const value: Llc = { dsap: b[offset], ssap: b[offset + 1], control, controlLength };
  const length = 2 + controlLength;
  const stp = value.dsap === LLC_SAP_STP && value.ssap === LLC_SAP_STP && control === LLC_CONTROL_UI;
  return { layer: { kind: 'llc', offset, length, value, malformed }, next: stp ? 'stp' : null, payloadOffset: offset + length, payloadEnd: end };
};

export const decodeStp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const r = decodeBpdu(b.subarray(offset, end), offset);
  const value: StpLayer = {
    protocol: avail >= 2 ? (b[offset] << 8) | b[offset + 1] : 0,
    version: avail >= 3 ? b[offset + 2] : 0,
    type: avail >= 4 ? b[offset + 3] : 0,
  };
  const malformed: Malformation[] = [];
  if (r.ok) value.bpdu = r.bpdu;
  else malformed.push(malformation('stp', r.offset, r.problem));
  return { layer: { kind: 'stp', offset, length: avail, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
};

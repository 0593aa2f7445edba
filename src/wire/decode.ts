// The decoder loop (gopacket-style): each layer names the next, so decoding is a loop, not a nest
// of ifs. `decode(bytes, linkType)` returns the layer list; it never throws on bad bytes.

import { DECODERS, LINK_TYPE_DECODER } from './decoders.ts';
import { malformation, type DecodeContext, type Malformation, type DecodedLayer, type DecodeOptions, type DecodeStep, type LayerDecoder } from './layer.ts';

/** Hard bound on layers per frame so that no input can loop the decoder (tunnels nest a few deep). */
export const MAX_LAYERS = 64;

/** The opaque rest of a frame that no decoder claimed (Wireshark's `data`). */
export interface DataValue {
  data: Uint8Array;
}

export interface DecodeResult {
  layers: DecodedLayer[];
  /** All malformations of all layers, in order. */
  malformed: ReturnType<typeof malformation>[];
}

/** Decodes one frame of the given link type (a pcap LINKTYPE_ number). */
export function decode(frame: Uint8Array, linkType: number, options: DecodeOptions = {}): DecodeResult {
  const first = LINK_TYPE_DECODER[linkType];
  const ctx: DecodeContext = {
    frame,
    layers: [],
    options: { fcsLength: options.fcsLength ?? 0, verifyChecksums: options.verifyChecksums ?? true },
  };
  if (first === undefined) {
    const layer: DecodedLayer<'data', DataValue> = {
      kind: 'data',
      offset: 0,
      length: frame.length,
      value: { data: frame },
      malformed: [malformation('frame', 0, `unsupported link type ${linkType}`)],
    };
    ctx.layers.push(layer);
    // A list of its own: callers may add to the frame's list without changing the layer's.
    return { layers: ctx.layers, malformed: [...layer.malformed] };
  }
  return decodeFrom(ctx, first, 0, frame.length);
}

/** Runs the loop from a given decoder over [offset, end). Exposed for tunnels and tests. */
export function decodeFrom(ctx: DecodeContext, kind: string, offset: number, end: number): DecodeResult {
  let next: string | null = kind;
  let off = offset;
  let stop = end;
  while (next !== null && ctx.layers.length < MAX_LAYERS) {
    const decoder: LayerDecoder | undefined = DECODERS[next];
    if (decoder === undefined) break;
    const step: DecodeStep = decoder(ctx, off, stop);
    // A decoder may only move forward and only narrow the range: this is what makes the loop finite.
    const payloadOffset = Math.max(step.payloadOffset, off);
    const payloadEnd = Math.min(step.payloadEnd, stop);
    step.layer.payloadOffset = Math.min(payloadOffset, Math.max(payloadEnd, payloadOffset));
    step.layer.payloadEnd = Math.max(payloadEnd, payloadOffset);
    ctx.layers.push(step.layer);
    if (payloadOffset <= off && step.next !== null && step.next === next) break;
    off = payloadOffset;
    stop = Math.max(payloadEnd, off);
    next = step.next;
    if (off >= stop) {
      next = null;
    }
  }
  if (off < stop) {
    const data: DecodedLayer<'data', DataValue> = {
      kind: 'data',
      offset: off,
      length: stop - off,
      value: { data: ctx.frame.subarray(off, stop) },
      malformed: [],
    };
    ctx.layers.push(data);
  }
  // Most frames have no malformation: no array is made per layer to say so.
  const malformed: Malformation[] = [];
  const layers = ctx.layers;
  for (let i = 0; i < layers.length; i++) {
    const lm = layers[i].malformed;
    for (let k = 0; k < lm.length; k++) malformed.push(lm[k]);
  }
  return { layers: ctx.layers, malformed };
}

/** The nearest decoded layer of one of the given kinds, searching from the innermost outwards. */
export function nearestLayer<V = unknown>(layers: readonly DecodedLayer[], ...kinds: string[]): DecodedLayer<string, V> | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    if (kinds.includes(layers[i].kind)) return layers[i] as DecodedLayer<string, V>;
  }
  return undefined;
}

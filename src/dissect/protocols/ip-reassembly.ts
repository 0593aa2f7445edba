// IP fragment reassembly across the frames of one capture, for the tree: Wireshark (ip.defragment
// and ipv6.defragment on by default) shows, on the frame that completes a datagram, the list of its
// fragments and the reassembled bytes, and dissects the upper layer from them.
//
// Overlapping and repeated fragments are reassembled as Wireshark does (ip-defragment.ts) and marked
// in the list; the virtual network's reassembler (wire/ipv4-reassembly.ts) keeps refusing them.
//
// The completed datagram is kept per frame in the DissectState (reassembledDatagram) so that the
// dissector can decode the upper layer from the reassembled bytes (decodeReassembled).

import { decodeFrom } from '../../wire/decode.ts';
import { ipProtocolKind } from '../../wire/ipv4.ts';
import { type DefragPiece, type DefragResult, WiresharkDefragmenter } from './ip-defragment.ts';
import { nextHeaderKind } from '../../wire/ipv6.ts';
import type { DecodeContext, DecodedLayer, DecodeOptions } from '../../wire/layer.ts';
import type { DissectContext, DissectState } from '../context.ts';
import { type Field, formatBytesHex, rawField, uintDec } from '../field.ts';
import { bytesForText, noneField } from './link-fields.ts';

/** A datagram reassembled on some frame: its bytes and the kind of the layer they start with. */
export interface ReassembledDatagram {
  /** 4 or 6. */
  version: 4 | 6;
  /** IP protocol / next header of the reassembled payload. */
  protocol: number;
  payload: Uint8Array;
  fragments: DefragPiece[];
  /** Index (in the frame's layers) of the IP layer that completed it. */
  layerIndex: number;
}

interface ReassemblyState {
  v4: WiresharkDefragmenter;
  v6: WiresharkDefragmenter;
  /** Capture time of the frame being dissected, in ms: the reassemblers' clock. */
  nowMs: number;
  /** Datagrams completed, by frame number (only the latest frames are kept). */
  done: Map<number, ReassembledDatagram>;
}

/** How long, in capture time, a datagram may wait for its fragments. */
const REASSEMBLY_TIMEOUT_MS = 60_000;
const KEEP_DONE = 64;

function reassemblyState(state: DissectState): ReassemblyState {
  return state.slot<ReassemblyState>('ip-reassembly', () => {
    const s: ReassemblyState = {
      v4: new WiresharkDefragmenter({ timeoutMs: REASSEMBLY_TIMEOUT_MS, now: () => s.nowMs }),
      v6: new WiresharkDefragmenter({ timeoutMs: REASSEMBLY_TIMEOUT_MS, now: () => s.nowMs }),
      nowMs: 0,
      done: new Map(),
    };
    return s;
  });
}

/** The datagram a frame completed, if any (for decoding the upper layer from its bytes). */
export function reassembledDatagram(state: DissectState, frameNumber: number): ReassembledDatagram | undefined {
  return reassemblyState(state).done.get(frameNumber);
}

export interface FragmentInput {
  version: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  id: number;
  offsetBytes: number;
  more: boolean;
  payload: Uint8Array;
}

/** Feeds one fragment of the current frame to the capture's reassembler. */
export function pushFragment(ctx: DissectContext, f: FragmentInput): DefragResult {
  const s = reassemblyState(ctx.state);
  s.nowMs = ctx.packet.tsSec * 1000 + Math.floor(ctx.packet.tsNsec / 1e6);
  const r = (f.version === 4 ? s.v4 : s.v6).push({
    src: f.src,
    dst: f.dst,
    protocol: f.version === 4 ? f.protocol : 0,
    id: f.id,
    offset: f.offsetBytes,
    moreFragments: f.more,
    payload: f.payload,
    tag: ctx.packet.number,
  });
  if (r.status === 'complete') {
    s.done.set(ctx.packet.number, { version: f.version, protocol: f.protocol, payload: r.payload, fragments: r.fragments, layerIndex: ctx.index });
    if (s.done.size > KEEP_DONE) s.done.delete(s.done.keys().next().value as number);
  }
  return r;
}

/**
 * The "[N IPvX Fragments (L bytes): #1(a), #2(b)]" subtree Wireshark adds on the completing frame:
 * ip.fragments / ipv6.fragments, one ip.fragment per piece, the count, the length and the data.
 */
export function fragmentsTree(version: 4 | 6, payload: Uint8Array, fragments: readonly DefragPiece[]): Field {
  const p = version === 4 ? 'ip' : 'ipv6';
  const v = version === 4 ? 'IPv4' : 'IPv6';
  const len = payload.length;
  const pieces = fragments.map((f) => `#${f.tag ?? 0}(${f.length})`).join(', ');
  const label = `${fragments.length} ${v} Fragments (${len} bytes): ${pieces}`;
  const kids: Field[] = fragments.map((f) => {
    // A fragment whose bytes contradict earlier ones is listed as an error, with its marks under it.
    const marks: Field[] = [];
    if (f.overlap)
      marks.push(rawField(`${p}.fragment.overlap`, 'Fragment overlap', 'bool', true, '1', f.offset, 0, { generated: true, text: '[Fragment overlap: True]' }));
    if (f.conflict)
      marks.push(
        rawField(`${p}.fragment.overlap.conflict`, 'Conflicting data in fragment overlap', 'bool', true, '1', f.offset, 0, {
          generated: true,
          text: '[Conflicting data in fragment overlap: True]',
        }),
      );
    return rawField(f.conflict ? `${p}.fragment.error` : `${p}.fragment`, 'Frame', 'uint', f.tag ?? 0, String(f.tag ?? 0), f.offset, f.length, {
      generated: true,
      text: `[Frame: ${f.tag ?? 0}, payload: ${f.offset}-${f.offset + f.length - 1} (${f.length} bytes)]`,
      ...(marks.length > 0 ? { children: marks } : {}),
    });
  });
  kids.push(
    uintDec(`${p}.fragment.count`, 'Fragment count', fragments.length, 0, 0, { generated: true, text: `[Fragment count: ${fragments.length}]` }),
    uintDec(`${p}.reassembled.length`, `Reassembled ${v} length`, len, 0, 0, { generated: true, text: `[Reassembled ${v} length: ${len}]` }),
    rawField(`${p}.reassembled.data`, `Reassembled ${v} data`, 'bytes', payload, formatBytesHex(payload), 0, len, {
      generated: true,
      text: `[Reassembled ${v} data: ${bytesForText(payload)}]`,
    }),
  );
  // ip.fragments is FT_BYTES (its -T fields value is the reassembled data); ipv6.fragments is FT_NONE.
  if (version === 4)
    return rawField('ip.fragments', label, 'bytes', payload, formatBytesHex(payload), 0, len, { generated: true, text: `[${label}]`, children: kids });
  return noneField('ipv6.fragments', label, 0, len, { generated: true, text: `[${label}]`, children: kids });
}

/**
 * Decodes a reassembled datagram's payload from its first byte, after the frame's layers up to the
 * IP layer that completed it (so that TCP/UDP find the addresses for their pseudo-header). The
 * returned layers' offsets are into `datagram.payload`, a data source of its own, as in Wireshark's
 * "Reassembled IPv4" tab; map them with that buffer as the frame.
 */
export function decodeReassembled(datagram: ReassembledDatagram, frameLayers: readonly DecodedLayer[], options: DecodeOptions = {}): DecodedLayer[] {
  const outer = frameLayers.slice(0, datagram.layerIndex + 1);
  const kind = (datagram.version === 4 ? ipProtocolKind(datagram.protocol) : nextHeaderKind(datagram.protocol, false)) ?? 'data';
  const ctx: DecodeContext = {
    frame: datagram.payload,
    layers: [...outer],
    options: { fcsLength: 0, verifyChecksums: options.verifyChecksums ?? true },
  };
  return decodeFrom(ctx, kind, 0, datagram.payload.length).layers.slice(outer.length);
}

// TCP stream reassembly for the dissector, on its own: PDUs of a 2-byte-length protocol (like DNS over
// TCP) and of TLS records fed as segments, several per segment and one over several, split headers,
// retransmitted overlaps, lost segments, and the memory bounds.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitPdus, TcpReassembler, type PduLengthFn, type SegmentOutcome } from '../../src/dissect/tcp-reassembly.ts';
import { tlsRecordPduLength } from '../../src/wire/tls-record.ts';

/** PDUs with a two-byte big-endian length prefix (DNS over TCP's framing). */
const len16: PduLengthFn = (b) => (b.length < 2 ? 0 : 2 + ((b[0] << 8) | b[1]));

function pdu(n: number, fill: number): Uint8Array {
  const out = new Uint8Array(2 + n).fill(fill);
  out[0] = n >> 8;
  out[1] = n & 0xff;
  return out;
}

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** Feeds `stream` cut at `cuts` as segments (frame numbers from 1, a 10-byte "header" before each payload). */
function feed(r: TcpReassembler, stream: Uint8Array, cuts: number[], fn: PduLengthFn = len16, seq0 = 1000): SegmentOutcome[] {
  const bounds = [0, ...cuts, stream.length];
  const out: SegmentOutcome[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const payload = stream.subarray(bounds[i], bounds[i + 1]);
    const frame = cat(new Uint8Array(10), payload);
    out.push(r.segment('flow', { frame: i + 1, seq: seq0 + bounds[i], frameBytes: frame, payloadOffset: 10, payloadLength: payload.length }, fn));
  }
  return out;
}

/** The PDUs (as hex) a run of outcomes delivered, in order, with the frames they came from. */
function delivered(outs: SegmentOutcome[], stream: Uint8Array, cuts: number[]): string[] {
  const bounds = [0, ...cuts, stream.length];
  const res: string[] = [];
  outs.forEach((o, i) => {
    const r = o.reassembled;
    if (r && !r.opaque) for (const p of r.pdus) res.push(Buffer.from(r.data.subarray(p.offset, p.offset + p.length)).toString('hex'));
    for (const p of o.fresh?.pdus ?? []) {
      const start = bounds[i] + p.offset - 10;
      res.push(Buffer.from(stream.subarray(start, start + p.length)).toString('hex'));
    }
  });
  return res;
}

describe('TCP stream reassembly', () => {
  it('hands out several PDUs of one segment and marks none as reassembled', () => {
    const stream = cat(pdu(3, 1), pdu(0, 2), pdu(5, 3));
    const [o] = feed(new TcpReassembler(), stream, []);
    expect(o.reassembled).toBeUndefined();
    expect(o.fresh?.pdus).toEqual([
      { offset: 10, length: 5 },
      { offset: 15, length: 2 },
      { offset: 17, length: 7 },
    ]);
    expect(o.fresh?.partial).toBeUndefined();
  });

  it('reassembles one PDU over three segments and lists them as Wireshark does', () => {
    const stream = cat(pdu(20, 7), pdu(1, 8));
    const outs = feed(new TcpReassembler(), stream, [5, 15]);
    expect(outs[0].fresh).toEqual({ offset: 10, pdus: [], partial: { offset: 10, length: 5 } });
    expect(outs[1].continuation).toEqual({ offset: 10, length: 10 });
    expect(outs[1].fresh).toBeUndefined();
    const r = outs[2].reassembled;
    expect(r?.segments).toEqual([
      { frame: 1, offset: 0, length: 5 },
      { frame: 2, offset: 5, length: 10 },
      { frame: 3, offset: 15, length: 7 },
    ]);
    expect(r?.tail).toEqual({ offset: 10, length: 7 });
    expect(Buffer.from(r?.data ?? []).toString('hex')).toBe(Buffer.from(pdu(20, 7)).toString('hex'));
    // What follows the PDU in the completing segment is dissected from a PDU boundary.
    expect(outs[2].fresh?.pdus).toEqual([{ offset: 17, length: 3 }]);
  });

  it('takes the whole next segment when a header was split, as Wireshark does (a TLS record header in two parts)', () => {
    const rec = Uint8Array.from([23, 3, 3, 0, 4, 0xa, 0xb, 0xc, 0xd]);
    const stream = cat(rec, rec);
    const outs = feed(new TcpReassembler(), stream, [2, 12], tlsRecordPduLength);
    expect(outs[0].fresh?.partial).toEqual({ offset: 10, length: 2 });
    const r = outs[1].reassembled;
    // The reassembled bytes are the held 2 and all 10 of the segment: one whole record, the start of the next.
    expect(r?.data).toEqual(stream.subarray(0, 12));
    expect(r?.pdus).toEqual([{ offset: 0, length: 9 }]);
    expect(r?.partial).toEqual({ offset: 9, length: 3 });
    expect(r?.tail).toEqual({ offset: 10, length: 10 });
    // The segment list ends with the last whole record.
    expect(r?.segments.map((s) => [s.frame, s.length])).toEqual([
      [1, 2],
      [2, 7],
    ]);
    expect(outs[1].fresh).toBeUndefined();
    expect(outs[2].reassembled?.data).toEqual(rec);
    expect(outs[2].reassembled?.segments.map((s) => [s.frame, s.length])).toEqual([
      [2, 3],
      [3, 6],
    ]);
  });

  it('skips bytes already seen when a retransmission overlaps', () => {
    const r = new TcpReassembler();
    const stream = cat(pdu(10, 1), pdu(2, 2));
    const frame = cat(new Uint8Array(10), stream);
    const first = r.segment('flow', { frame: 1, seq: 500, frameBytes: frame.subarray(0, 10 + 8), payloadOffset: 10, payloadLength: 8 }, len16);
    expect(first.fresh?.partial?.length).toBe(8);
    // The next segment starts 3 bytes early (bytes 5..8 again), then carries the rest.
    const seg = cat(new Uint8Array(10), stream.subarray(5));
    const second = r.segment('flow', { frame: 2, seq: 505, frameBytes: seg, payloadOffset: 10, payloadLength: stream.length - 5 }, len16);
    expect(second.skipped).toBe(3);
    expect(Buffer.from(second.reassembled?.data ?? []).toString('hex')).toBe(Buffer.from(pdu(10, 1)).toString('hex'));
    expect(second.fresh?.pdus).toEqual([{ offset: 17, length: 4 }]);
    // A full retransmission of old bytes yields nothing.
    const again = r.segment('flow', { frame: 3, seq: 500, frameBytes: frame, payloadOffset: 10, payloadLength: stream.length }, len16);
    expect(again).toEqual({ skipped: stream.length });
  });

  it('never completes a PDU with a hole, and resumes at the boundary after it', () => {
    const r = new TcpReassembler();
    const stream = cat(pdu(20, 1), pdu(3, 2));
    const seg = (frame: number, from: number, to: number): SegmentOutcome =>
      r.segment(
        'flow',
        { frame, seq: 100 + from, frameBytes: cat(new Uint8Array(10), stream.subarray(from, to)), payloadOffset: 10, payloadLength: to - from },
        len16,
      );
    expect(seg(1, 0, 6).fresh?.partial).toBeDefined();
    // Bytes 6..12 are lost; 12..18 and 18..27 arrive.
    expect(seg(2, 12, 18)).toMatchObject({ continuation: { offset: 10, length: 6 } });
    const last = seg(3, 18, stream.length);
    expect(last.reassembled).toBeUndefined();
    expect(last.continuation).toEqual({ offset: 10, length: 4 });
    expect(last.fresh?.pdus).toEqual([{ offset: 14, length: 5 }]);
    expect(r.bufferedBytes).toBe(0);
  });

  it('gives up a PDU longer than the limit and shows its bytes as opaque', () => {
    const r = new TcpReassembler({ maxPduBytes: 100 });
    const o = feed(r, pdu(500, 1), [50])[0];
    expect(o.fresh?.opaque).toEqual({ offset: 10, length: 50 });
    expect(r.bufferedBytes).toBe(0);
  });

  it('keeps its memory bounded over many directions', () => {
    const r = new TcpReassembler({ maxFlows: 8, maxBufferedBytes: 1000 });
    for (let i = 0; i < 100; i++) {
      const frame = cat(new Uint8Array(10), pdu(3000, i).subarray(0, 400));
      r.segment(`flow${i}`, { frame: i, seq: 0, frameBytes: frame, payloadOffset: 10, payloadLength: 400 }, len16);
      expect(r.flowCount).toBeLessThanOrEqual(8);
      expect(r.bufferedBytes).toBeLessThanOrEqual(1000);
    }
  });

  it('splits a segment without keeping anything when it may not be reassembled', () => {
    const frame = cat(new Uint8Array(10), pdu(1, 1), pdu(9, 2).subarray(0, 4));
    expect(splitPdus(frame, 10, 7, len16)).toEqual({ offset: 10, pdus: [{ offset: 10, length: 3 }], partial: { offset: 13, length: 4 } });
    expect(splitPdus(frame, 10, 7, () => -1)).toEqual({ offset: 10, pdus: [], opaque: { offset: 10, length: 7 } });
  });

  it('delivers every PDU once, in order, however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 4000 }), { maxLength: 20 }),
        (sizes, rawCuts) => {
          const pdus = sizes.map((n, i) => pdu(n, i + 1));
          const stream = cat(...pdus);
          const cuts = [...new Set(rawCuts.map((c) => c % stream.length).filter((c) => c > 0))].sort((a, b) => a - b);
          const r = new TcpReassembler();
          const outs = feed(r, stream, cuts, len16, 0xfffffff0); // sequence numbers wrap on the way
          expect(delivered(outs, stream, cuts)).toEqual(pdus.map((p) => Buffer.from(p).toString('hex')));
          expect(r.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

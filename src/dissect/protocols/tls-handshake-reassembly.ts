// Handshake messages over several records (RFC 8446 §5.1, RFC 5246 §6.2.1): a message whose length
// runs past its record continues at the start of the next handshake record of the same direction.
// Per TLS conversation and direction this keeps the pieces until the message is whole, as Wireshark
// does, and gives back the message with the list of pieces for its `[N Reassembled Handshake
// Fragments (L bytes): #a(x), #b(y)]` tree. Bounded: one message per direction, at most
// MAX_HANDSHAKE_MESSAGE bytes (a longer one is dropped and its records stay fragments), and at most
// a budget's bytes held over all conversations of a capture (past it, new messages are not kept).

import { concatBytes } from '../../wire/layer.ts';
import { type Field, rawField, uintDec } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { noneField } from './link-fields.ts';

registerFields({
  'tls.handshake.fragments': 'FT_NONE',
  'tls.handshake.fragment': 'FT_FRAMENUM',
  'tls.handshake.fragment.count': 'FT_UINT32',
});

/** Largest handshake message reassembled (a certificate chain rarely passes 64 KiB). */
export const MAX_HANDSHAKE_MESSAGE = 1 << 20;

/** Bytes held in unfinished messages over all conversations, and the most that may be. */
export interface HandshakeBudget {
  held: number;
  limit: number;
}

export const HANDSHAKE_BUDGET_BYTES = 16 * 1024 * 1024;

/** Gives back what a message held (completed, dropped, or its conversation forgotten). */
export function release(budget: HandshakeBudget, p: PendingHandshake | undefined): void {
  if (p !== undefined) budget.held = Math.max(0, budget.held - p.have);
}

/** A piece of a message: the frame it came in and its length. */
export interface HandshakePiece {
  frame: number;
  length: number;
}

/** The pieces of one unfinished message. */
export interface PendingHandshake {
  /** Its type (the first byte), shown on fragments. */
  type: number;
  parts: Uint8Array[];
  pieces: HandshakePiece[];
  have: number;
  /** 4 + the message length once the header is whole, else 0. */
  total: number;
}

/** What adding a record's leading bytes to a pending message did. */
export interface Continued {
  /** Bytes of the record the message took. */
  taken: number;
  /** The whole message (header included) once complete. */
  message?: Uint8Array;
  pieces?: HandshakePiece[];
  /** The message cannot be reassembled (too long): drop it. */
  dropped?: boolean;
}

function totalOf(head: Uint8Array): number {
  return head.length >= 4 ? 4 + ((head[1] << 16) | (head[2] << 8) | head[3]) : 0;
}

/** Starts a message from the bytes at the end of a record (undefined: too long to keep). */
export function startPending(bytes: Uint8Array, frame: number, budget: HandshakeBudget): PendingHandshake | undefined {
  const total = totalOf(bytes);
  if (total > MAX_HANDSHAKE_MESSAGE || budget.held + Math.max(total, bytes.length) > budget.limit) return undefined;
  budget.held += bytes.length;
  return { type: bytes[0], parts: [Uint8Array.from(bytes)], pieces: [{ frame, length: bytes.length }], have: bytes.length, total };
}

function joined(p: PendingHandshake): Uint8Array {
  return concatBytes(p.parts);
}

/**
 * Adds the leading bytes of a record (`avail` of them from `start`) to `p`. A completed or dropped
 * message gives its bytes back to the budget.
 */
export function continuePending(p: PendingHandshake, b: Uint8Array, start: number, avail: number, frame: number, budget: HandshakeBudget): Continued {
  const before = p.have;
  const r = grow(p, b, start, avail, frame);
  budget.held += p.have - before;
  if (r.message !== undefined || r.dropped) release(budget, p);
  if (r.dropped === undefined && r.message === undefined && budget.held > budget.limit) {
    release(budget, p);
    return { taken: r.taken, dropped: true };
  }
  return r;
}

function grow(p: PendingHandshake, b: Uint8Array, start: number, avail: number, frame: number): Continued {
  let taken = 0;
  if (p.total === 0) {
    // The header itself was split: complete it first.
    const need = Math.min(4 - p.have, avail);
    p.parts.push(b.slice(start, start + need));
    p.have += need;
    taken = need;
    if (p.have >= 4) {
      const head = joined(p);
      p.parts = [head];
      p.total = totalOf(head);
      if (p.total > MAX_HANDSHAKE_MESSAGE) return { taken: avail, dropped: true };
    }
  }
  if (p.total > 0) {
    const need = Math.min(p.total - p.have, avail - taken);
    p.parts.push(b.slice(start + taken, start + taken + need));
    p.have += need;
    taken += need;
  }
  // Pieces of one frame are listed one per record, as Wireshark lists them.
  p.pieces.push({ frame, length: taken });
  if (p.total > 0 && p.have >= p.total) return { taken, message: joined(p), pieces: p.pieces };
  return { taken };
}

/** Wireshark's `[N Reassembled Handshake Fragments (L bytes): #a(x), ...]` tree. */
export function fragmentsField(message: Uint8Array, pieces: readonly HandshakePiece[]): Field {
  const list = pieces.map((p) => `#${p.frame}(${p.length})`).join(', ');
  const text = `[${pieces.length} Reassembled Handshake Fragments (${message.length} bytes): ${list}]`;
  let at = 0;
  const kids: Field[] = pieces.map((p) => {
    const f = rawField('tls.handshake.fragment', 'Handshake Fragment', 'uint', p.frame, String(p.frame), at, p.length, {
      generated: true,
      text: `[Frame: ${p.frame}, payload: ${at}-${at + p.length - 1} (${p.length} byte${p.length === 1 ? '' : 's'})]`,
    });
    at += p.length;
    return f;
  });
  kids.push(
    uintDec('tls.handshake.fragment.count', 'Handshake Fragment count', pieces.length, 0, 0, {
      generated: true,
      text: `[Handshake Fragment count: ${pieces.length}]`,
    }),
  );
  return noneField('tls.handshake.fragments', 'Reassembled Handshake Fragments', 0, message.length, { generated: true, text, children: kids });
}

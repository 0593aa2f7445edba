// DNS over TCP (RFC 1035 §4.2.2, RFC 7766 §8): each message is preceded by a two-byte length. A
// stream delivers segments at its own will, so the deframer takes any chunks (several messages in
// one, one message across several) and hands out whole messages. It holds at most one message
// (<= 65535 bytes) plus the chunk being pushed, whatever the peer sends.

import { NetlabRangeError } from '../base/errors.ts';

/** Prefixes a message with its two-byte length. Throws RangeError for a message over 65535 bytes. */
export function frameDnsTcp(message: Uint8Array): Uint8Array {
  if (message.length > 0xffff) throw new NetlabRangeError(`DNS message of ${message.length} bytes cannot be sent over TCP (at most 65535)`);
  const out = new Uint8Array(2 + message.length);
  out[0] = message.length >>> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

/** Streaming deframer: push stream bytes, get the complete messages they finish. */
export class DnsTcpDeframer {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Length of the message being collected, once its prefix is in. */
  private want = -1;

  /** Bytes held, waiting for the rest of a message. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Adds stream bytes; returns the messages completed by them, in order (copies). */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let p = 0;
    while (p < chunk.length) {
      if (this.want < 0) {
        // Collect the two-byte prefix (it may itself be split).
        if (this.pendingBytes === 0 && chunk.length - p >= 2) {
          this.want = (chunk[p] << 8) | chunk[p + 1];
          p += 2;
        } else {
          this.pending.push(chunk.slice(p, p + 1));
          this.pendingBytes++;
          p++;
          if (this.pendingBytes < 2) continue;
          const pre = this.take();
          this.want = (pre[0] << 8) | pre[1];
        }
        if (this.want === 0) {
          out.push(new Uint8Array(0));
          this.want = -1;
        }
        continue;
      }
      const need = this.want - this.pendingBytes;
      const n = Math.min(need, chunk.length - p);
      this.pending.push(chunk.slice(p, p + n));
      this.pendingBytes += n;
      p += n;
      if (this.pendingBytes === this.want) {
        out.push(this.take());
        this.want = -1;
      }
    }
    return out;
  }

  /** True when the stream ended between messages (no partial message held). */
  get idle(): boolean {
    return this.want < 0 && this.pendingBytes === 0;
  }

  private take(): Uint8Array {
    const all = new Uint8Array(this.pendingBytes);
    let o = 0;
    for (const part of this.pending) {
      all.set(part, o);
      o += part.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }
}

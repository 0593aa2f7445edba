// The send buffer: every byte the application wrote and the peer has not acknowledged yet, sent or not,
// as a queue of chunks. Bytes are addressed by their offset from the oldest unacknowledged byte (which
// sits at SND.UNA in sequence space); an ACK drops bytes from the front, and a retransmission reads
// them again from the same place. Its size is bounded by the socket (VirtualTcpSocket checks writes).

export class SendBuffer {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already acknowledged. */
  private head = 0;
  private total = 0;

  /** Bytes held (unacknowledged, sent or not). */
  get length(): number {
    return this.total;
  }

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.total += bytes.length;
  }

  /** A copy of `len` bytes from `offset` (cut to what is held). */
  read(offset: number, len: number): Uint8Array {
    const n = Math.max(0, Math.min(len, this.total - offset));
    const out = new Uint8Array(n);
    let skip = offset + this.head;
    let put = 0;
    for (const c of this.chunks) {
      if (put >= n) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const take = Math.min(c.length - skip, n - put);
      out.set(c.subarray(skip, skip + take), put);
      put += take;
      skip = 0;
    }
    return out;
  }

  /** Drops `n` acknowledged bytes from the front. */
  consume(n: number): void {
    let left = Math.min(n, this.total);
    this.total -= left;
    while (left > 0) {
      const c = this.chunks[0];
      const rest = c.length - this.head;
      if (left >= rest) {
        left -= rest;
        this.chunks.shift();
        this.head = 0;
      } else {
        this.head += left;
        left = 0;
      }
    }
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.total = 0;
  }
}

// A growable byte buffer for the writers, in one byte order.

export class ByteBuilder {
  private buf: Uint8Array;
  private dv: DataView;
  private len = 0;

  constructor(
    private readonly littleEndian: boolean,
    initial = 256,
  ) {
    this.buf = new Uint8Array(initial);
    this.dv = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.len;
  }

  /** Reserves n bytes and returns where they start (call before touching buf/dv: it may replace them). */
  private room(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    this.len += n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.dv.setUint8(at, v);
    return this;
  }

  u16(v: number): this {
    const at = this.room(2);
    this.dv.setUint16(at, v, this.littleEndian);
    return this;
  }

  u32(v: number): this {
    const at = this.room(4);
    this.dv.setUint32(at, v >>> 0, this.littleEndian);
    return this;
  }

  i32(v: number): this {
    const at = this.room(4);
    this.dv.setInt32(at, v, this.littleEndian);
    return this;
  }

  i64(v: bigint): this {
    const at = this.room(8);
    this.dv.setBigInt64(at, v, this.littleEndian);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }

  /** Zero bytes up to the next multiple of 4. */
  pad4(): this {
    const n = (4 - (this.len % 4)) % 4;
    const at = this.room(n);
    this.buf.fill(0, at, at + n);
    return this;
  }

  /** Overwrites a u32 written earlier (a length known only at the end). */
  setU32(at: number, v: number): this {
    this.dv.setUint32(at, v >>> 0, this.littleEndian);
    return this;
  }

  /** The bytes written (a copy that owns its buffer). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

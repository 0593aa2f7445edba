// Hand-built capture bytes for the reader tests, written independently of src/capture's writers so a
// bug shared by reader and writer cannot hide. Any field can be set wrong on purpose.

export type Order = 'le' | 'be';

class Bytes {
  private readonly parts: number[] = [];
  constructor(private readonly order: Order) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = [(v >>> 8) & 0xff, v & 0xff];
    this.parts.push(...(this.order === 'le' ? b.reverse() : b));
    return this;
  }
  u32(v: number): this {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    this.parts.push(...(this.order === 'le' ? b.reverse() : b));
    return this;
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.order === 'le' ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: Uint8Array | readonly number[]): this {
    this.parts.push(...b);
    return this;
  }
  pad(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A 60-byte broadcast Ethernet frame carrying zeros, byte `tag` at the end to tell frames apart. */
export function frame(tag = 0, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.fill(0xff, 0, 6);
  f.set([0x00, 0x11, 0x22, 0x33, 0x44, 0x55], 6);
  f[12] = 0x08;
  f[length - 1] = tag;
  return f;
}

export interface PcapRecord {
  sec: number;
  frac: number;
  data: Uint8Array;
  incl?: number;
  orig?: number;
}

export function pcapFile(opts: {
  order?: Order;
  nsec?: boolean;
  major?: number;
  minor?: number;
  snap?: number;
  link?: number;
  records?: PcapRecord[];
}): Uint8Array {
  const b = new Bytes(opts.order ?? 'le');
  b.u32(opts.nsec === true ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(opts.major ?? 2)
    .u16(opts.minor ?? 4)
    .u32(0)
    .u32(0)
    .u32(opts.snap ?? 65535)
    .u32(opts.link ?? 1);
  for (const r of opts.records ?? []) {
    b.u32(r.sec)
      .u32(r.frac)
      .u32(r.incl ?? r.data.length)
      .u32(r.orig ?? r.data.length)
      .raw(r.data);
  }
  return b.done();
}

// ---- pcapng ----

export type Opt = [code: number, value: Uint8Array | string];

const enc = new TextEncoder();

function options(b: Bytes, opts: readonly Opt[]): void {
  if (opts.length === 0) return;
  for (const [code, v] of opts) {
    const value = typeof v === 'string' ? enc.encode(v) : v;
    b.u16(code).u16(value.length).raw(value).pad();
  }
  b.u16(0).u16(0);
}

export function block(order: Order, type: number, body: (b: Bytes) => void, fix: { length?: number; trailer?: number } = {}): Uint8Array {
  const inner = new Bytes(order);
  body(inner);
  const total = inner.length + 12;
  return new Bytes(order)
    .u32(type)
    .u32(fix.length ?? total)
    .raw(inner.done())
    .u32(fix.trailer ?? total)
    .done();
}

export function shb(order: Order = 'le', opts: readonly Opt[] = [], version: [number, number] = [1, 0]): Uint8Array {
  return block(order, 0x0a0d0d0a, (b) => {
    b.u32(0x1a2b3c4d).u16(version[0]).u16(version[1]).u64(0xffffffffffffffffn);
    options(b, opts);
  });
}

export function idb(order: Order = 'le', linkType = 1, snap = 65535, opts: readonly Opt[] = []): Uint8Array {
  return block(order, 1, (b) => {
    b.u16(linkType).u16(0).u32(snap);
    options(b, opts);
  });
}

export function epb(
  order: Order,
  iface: number,
  ts: bigint,
  data: Uint8Array,
  opts: readonly Opt[] = [],
  fix: { caplen?: number; orig?: number; trailer?: number } = {},
): Uint8Array {
  return block(
    order,
    6,
    (b) => {
      b.u32(iface)
        .u32(Number(ts >> 32n))
        .u32(Number(ts & 0xffffffffn))
        .u32(fix.caplen ?? data.length)
        .u32(fix.orig ?? data.length)
        .raw(data)
        .pad();
      options(b, opts);
    },
    { trailer: fix.trailer },
  );
}

export function spb(order: Order, orig: number, data: Uint8Array): Uint8Array {
  return block(order, 3, (b) => {
    b.u32(orig).raw(data).pad();
  });
}

export function pb(order: Order, iface: number, ts: bigint, data: Uint8Array, opts: readonly Opt[] = []): Uint8Array {
  return block(order, 2, (b) => {
    b.u16(iface)
      .u16(0)
      .u32(Number(ts >> 32n))
      .u32(Number(ts & 0xffffffffn))
      .u32(data.length)
      .u32(data.length)
      .raw(data)
      .pad();
    options(b, opts);
  });
}

export function dsb(order: Order, type: number, data: Uint8Array | string): Uint8Array {
  const d = typeof data === 'string' ? enc.encode(data) : data;
  return block(order, 0x0a, (b) => {
    b.u32(type).u32(d.length).raw(d).pad();
  });
}

/** A Name Resolution Block with one IPv4 record (nrb_record_ipv4 = 1), then nrb_record_end. */
export function nrb(order: Order, ip: readonly number[], name: string): Uint8Array {
  const n = enc.encode(name + '\0');
  return block(order, 4, (b) => {
    b.u16(1)
      .u16(4 + n.length)
      .raw(ip)
      .raw(n)
      .pad();
    b.u16(0).u16(0);
  });
}

/** An Interface Statistics Block for interface `iface` with no options. */
export function isb(order: Order, iface: number): Uint8Array {
  return block(order, 5, (b) => {
    b.u32(iface).u32(0).u32(0);
  });
}

export function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, v, true);
  return out;
}

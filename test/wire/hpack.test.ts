// HPACK decoding (src/wire/hpack.ts): the request examples of RFC 7541 Appendix C (C.3 without and
// C.4 with Huffman coding, three requests on one connection so the dynamic table carries over),
// malformed blocks reported with an offset, and every header block a real encoder (nghttp2, under a
// node:http2 client) sends to a raw TCP server decoded back to the fields it was given.

import { connect as h2connect } from 'node:http2';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HpackDecoder, huffmanDecode, huffmanEncode } from '../../src/wire/hpack.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 7541 Appendix C', () => {
  it('C.3: three requests without Huffman coding, the dynamic table carried over', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'))).toEqual({
      ok: true,
      fields: [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
        [':authority', 'www.example.com'],
      ],
    });
    expect(d.tableSize).toBe(57);
    expect(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'))).toMatchObject({
      ok: true,
      fields: [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
        [':authority', 'www.example.com'],
        ['cache-control', 'no-cache'],
      ],
    });
    expect(d.tableSize).toBe(110);
    expect(d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'))).toMatchObject({
      ok: true,
      fields: [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':path', '/index.html'],
        [':authority', 'www.example.com'],
        ['custom-key', 'custom-value'],
      ],
    });
    expect(d.tableSize).toBe(164);
  });

  it('C.4: the same requests with Huffman coding', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toMatchObject({
      ok: true,
      fields: [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
        [':authority', 'www.example.com'],
      ],
    });
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toMatchObject({
      ok: true,
      fields: [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
        [':authority', 'www.example.com'],
        ['cache-control', 'no-cache'],
      ],
    });
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toMatchObject({
      ok: true,
      fields: [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':path', '/index.html'],
        [':authority', 'www.example.com'],
        ['custom-key', 'custom-value'],
      ],
    });
    expect(d.tableSize).toBe(164);
  });

  it('Huffman: www.example.com both ways, and every byte value round-trips', () => {
    expect(huffmanEncode('www.example.com')).toEqual(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'));
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    expect(huffmanDecode(huffmanEncode(all))).toBe(all);
    expect(huffmanDecode(huffmanEncode(' b\r\n\0\t'))).toBe(' b\r\n\0\t');
  });
});

describe('malformed blocks are reported, not thrown', () => {
  it.each([
    ['index 0', '80', 'index 0'],
    ['an index beyond both tables', 'be', 'beyond the tables'],
    ['a string running past the block', '400a 6162', 'runs past'],
    ['an integer cut short', '7f', 'inside an integer'],
    ['Huffman padding of zero bits', '0085 f1e3 c2e5 00', 'Huffman'],
    ['a table size update over the limit', '3fe2 1f', 'table size'],
    ['a table size update after a field', '82 20', 'after a field'],
  ])('%s', (_what, block, words) => {
    const r = new HpackDecoder().decode(hex(block));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(words);
      expect(r.offset).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('a real encoder: nghttp2 under a node:http2 client', () => {
  it('decodes every request header block it sends, Huffman and dynamic table included', async () => {
    const chunks: Buffer[] = [];
    const server = createServer((s) => {
      s.on('data', (c: Buffer) => chunks.push(c));
      s.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.191.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const session = h2connect(`http://127.191.0.1:${port}`);
    session.on('error', () => undefined);
    const sent: Record<string, string>[] = [];
    for (let i = 0; i < 40; i++) {
      const h = {
        ':path': `/item/${i}?q=${'z'.repeat(i)}`,
        'user-agent': 'netlab-test/1.0',
        'x-n': String(i * 7919),
        cookie: `id=${i}; theme=dark`,
        'x-bytes': `~!@#$%^&*()_+|}{"':;?><,./${String.fromCharCode(0x80 + i)}`,
      };
      sent.push(h);
      const st = session.request(h, { endStream: true });
      st.on('error', () => undefined);
    }
    await new Promise((r) => setTimeout(r, 300));
    session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const all = Buffer.concat(chunks).subarray(24);
    const d = new HpackDecoder();
    const got: Record<string, string>[] = [];
    for (let off = 0; off + 9 <= all.length; ) {
      const len = all.readUIntBE(off, 3);
      if (all[off + 3] === 1) {
        const r = d.decode(all.subarray(off + 9, off + 9 + len));
        expect(r.ok).toBe(true);
        if (r.ok) got.push(Object.fromEntries(r.fields.filter(([n]) => !['_method', ':method', ':scheme', ':authority'].includes(n))));
      }
      off += 9 + len;
    }
    expect(got).toHaveLength(sent.length);
    for (const [i, h] of sent.entries()) expect(got[i]).toEqual(h);
  });
});

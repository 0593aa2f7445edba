// The output formats on hand-made frames: layout details that do not need the decoders.

import { describe, expect, it } from 'vitest';
import { fieldsHeader, fieldsLine, fieldText, invalidFields } from '../../src/dissect/fields-output.ts';
import { hexDump, hexLines } from '../../src/dissect/hex-output.ts';
import { jsonDocument } from '../../src/dissect/json-output.ts';
import { cutTime, summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { icmpErrorFrame, ipv6Frame } from './hand-made.ts';

const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) as string[], (x) => parseInt(x, 16));
const ARP_REPLY = hex('6cf049b2de6e30469a23fbfa08060001080006040002' + '30469a23fbfa0a00008a6cf049b2de6e0a000001' + '742066726f6d206272696467650037003d20');

describe('hex dump', () => {
  it('lays out 16 bytes a line with the ASCII column aligned, as tshark -x', () => {
    expect(hexDump(ARP_REPLY)).toEqual([
      '0000  6c f0 49 b2 de 6e 30 46 9a 23 fb fa 08 06 00 01   l.I..n0F.#......',
      '0010  08 00 06 04 00 02 30 46 9a 23 fb fa 0a 00 00 8a   ......0F.#......',
      '0020  6c f0 49 b2 de 6e 0a 00 00 01 74 20 66 72 6f 6d   l.I..n....t from',
      '0030  20 62 72 69 64 67 65 00 37 00 3d 20                bridge.7.= ',
    ]);
  });
  it('widens the offset column past 64 KiB', () => {
    const lines = hexDump(new Uint8Array(0x10010));
    expect(lines[lines.length - 1].startsWith('10000  00')).toBe(true);
    expect(lines[0].startsWith('00000  ')).toBe(true);
  });
  it('adds a legend line per layer without colour, and colours each layer with it', () => {
    const d = icmpErrorFrame();
    const plain = hexLines(d);
    expect(plain.slice(5)).toEqual([
      '  eth   0000-000d     14 bytes  Ethernet II, Src: 11:22:33:44:55:66, Dst: aa:bb:cc:dd:ee:ff',
      '  ip    000e-0021     20 bytes  Internet Protocol Version 4, Src: 10.0.2.2, Dst: 10.0.1.2',
      '  icmp  0022-0029      8 bytes  Internet Control Message Protocol',
      '  ip    002a-003d     20 bytes  Internet Protocol Version 4, Src: 10.0.1.2, Dst: 172.16.0.2',
      '  udp   003e-0045      8 bytes  User Datagram Protocol, Src Port: 49182, Dst Port: 33446',
    ]);
    const colored = hexLines(d, { color: true });
    expect(colored[0]).toContain('\x1b[36maa bb cc dd ee ff 11 22 33 44 55 66 08 00\x1b[0m \x1b[33m45 c0\x1b[0m');
    // Without the escapes, the dump is tshark's.
    const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');
    expect(colored.slice(0, 5).map(strip)).toEqual(plain.slice(0, 5));
    expect(strip(colored[5])).toBe('layers: eth ip icmp ip udp');
  });
});

describe('summary line', () => {
  it('pads No., Time, Source and Destination as tshark 4.0', () => {
    expect(summaryLine(icmpErrorFrame())).toBe('    1   1.500000     10.0.2.2 → 10.0.1.2     ICMP 70 Destination unreachable (Port unreachable)');
  });
  it('cuts the time to the capture precision', () => {
    expect(cutTime('-0.000000766', 9)).toBe('-0.000000766');
    expect(cutTime('27211502.083030000', 6)).toBe('27211502.083030');
    expect(cutTime('1.5', 0)).toBe('1');
  });
});

describe('-V tree', () => {
  const lines = treeLines(icmpErrorFrame());
  it('nests the quoted datagram under ICMP, indents by 4, hides hidden fields', () => {
    expect(lines).toContain('    Internet Protocol Version 4, Src: 10.0.1.2, Dst: 172.16.0.2');
    expect(lines).toContain('        Source Address: 10.0.1.2');
    expect(lines).toContain('    User Datagram Protocol, Src Port: 49182, Dst Port: 33446');
    expect(lines.some((l) => l.includes('Source or Destination'))).toBe(false);
    expect(lines).toContain('        [Timestamps]');
    expect(lines).toContain('            Note: x');
    expect(lines.some((l) => l.includes('Ethertype'))).toBe(false);
  });
  it('dumps the bytes of a data protocol unless -x follows', () => {
    const d = ipv6Frame();
    expect(treeLines(d).slice(-5)).toEqual([
      'Data (5 bytes)',
      '',
      '0000  48 6f 6c 61 21                                    Hola!',
      '    Data: 486f6c6121',
      '    [Length: 5]',
    ]);
    expect(treeLines(d, { hexFollows: true }).slice(-3)).toEqual(['Data (5 bytes)', '    Data: 486f6c6121', '    [Length: 5]']);
  });
});

describe('-T fields', () => {
  const d = icmpErrorFrame();
  it('joins occurrences, picks first or last, quotes non-empty values', () => {
    expect(fieldText(d, 'ip.src')).toBe('10.0.2.2,10.0.1.2');
    expect(fieldText(d, 'ip.src', { occurrence: 'f' })).toBe('10.0.2.2');
    expect(fieldText(d, 'ip.src', { occurrence: 'l' })).toBe('10.0.1.2');
    expect(fieldText(d, 'ip.src', { aggregator: ' ' })).toBe('10.0.2.2 10.0.1.2');
    expect(fieldsLine(d, ['frame.number', 'tcp.port', 'udp.port'], { quote: 'd', separator: ',' })).toBe('"1",,"49182,33446"');
    expect(fieldsHeader(['a', 'b'], { quote: 's', separator: ' ' })).toBe("'a' 'b'");
  });
  it('prints protocols as tshark does: the label, the name for icmp, nothing for ethertype', () => {
    expect(fieldText(d, 'udp')).toBe('User Datagram Protocol, Src Port: 49182, Dst Port: 33446');
    expect(fieldText(d, 'icmp')).toBe('icmp');
    expect(fieldText(d, 'ethertype')).toBe('');
    expect(fieldText(ipv6Frame(), 'data')).toBe('486f6c6121');
  });
  it('lists unknown names as tshark does (last first)', () => {
    expect(invalidFields(['ip.src', 'foo.bar', 'ip.bogus', 'tcp'])).toEqual(['ip.bogus', 'foo.bar']);
  });
});

describe('-T json', () => {
  const text = jsonDocument([icmpErrorFrame()]);
  it("has tshark's envelope and parses", () => {
    const doc = JSON.parse(text) as Array<{ _index: string; _type: string; _score: null; _source: { layers: Record<string, unknown> } }>;
    expect(doc).toHaveLength(1);
    expect(doc[0]._type).toBe('doc');
    expect(doc[0]._score).toBeNull();
    expect(doc[0]._index).toMatch(/^packets-\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(doc[0]._source.layers)).toEqual(['frame', 'eth', 'ip', 'icmp']);
  });
  it('nests, writes _tree keys, bytes with colons, repeats keys like tshark', () => {
    expect(text).toContain('          "eth.src_tree": {\n            "eth.addr": "11:22:33:44:55:66"\n          },');
    expect(text).toContain('"icmp.unused": "00:00:00:00"');
    expect(text).toContain('          "ip": {\n            "ip.version": "4",');
    expect(text.match(/"ip.addr": /g)).toHaveLength(4);
    expect(text).toContain('"Timestamps": {');
    expect(text.startsWith('[\n  {\n    "_index": "packets-')).toBe(true);
    expect(text.endsWith('\n  }\n]\n')).toBe(true);
    expect(jsonDocument([])).toBe('[]\n');
  });
  it('merges repeated keys into arrays with noDuplicateKeys', () => {
    const doc = JSON.parse(jsonDocument([icmpErrorFrame()], { noDuplicateKeys: true })) as Array<{ _source: { layers: { ip: Record<string, unknown> } } }>;
    expect(doc[0]._source.layers.ip['ip.addr']).toEqual(['10.0.2.2', '10.0.1.2']);
  });
});

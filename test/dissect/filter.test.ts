// The display filter on hand-made frames: syntax, errors with their column, and Wireshark 4.0's
// semantics for fields that occur several times (an ICMP error quotes a second IPv4 header).

import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError, formatFilterError } from '../../src/dissect/filter/index.ts';
import { tokenize } from '../../src/dissect/filter/lexer.ts';
import { icmpErrorFrame, ipv6Frame } from './hand-made.ts';

const icmp = icmpErrorFrame();
const v6 = ipv6Frame();
const m = (f: string, d = icmp): boolean => compileFilter(f).matches(d);

function err(f: string): FilterError {
  try {
    compileFilter(f);
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error(`filter compiled: ${f}`);
}

describe('lexer', () => {
  it('keeps addresses, CIDR and MACs as one word', () => {
    expect(tokenize('ip.src==10.0.0.0/8&&eth.addr == ff:ff:ff:ff:ff:ff').map((t) => t.text)).toEqual([
      'ip.src',
      '==',
      '10.0.0.0/8',
      '&&',
      'eth.addr',
      '==',
      'ff:ff:ff:ff:ff:ff',
    ]);
  });
  it('splits ranges in sets and unescapes strings', () => {
    expect(tokenize('x in {1..9}').map((t) => t.text)).toEqual(['x', 'in', '{', '1', '..', '9', '}']);
    expect(tokenize('"a\\x41\\101\\n\\""')[0].value).toBe('aAA\n"');
    expect(tokenize('r"\\d+"')[0].value).toBe('\\d+');
    expect(tokenize("'a'")[0]).toMatchObject({ kind: 'char', value: 'a' });
  });
  it('records the column of each token', () => {
    expect(tokenize('  tcp  ||  udp').map((t) => t.pos)).toEqual([2, 7, 11]);
  });
});

describe('errors point at the column, as tshark does', () => {
  const cases: Array<[string, string, number | undefined, number]> = [
    ['ip.src == ', 'Unexpected end of filter expression.', undefined, 1],
    ['tcp and (udp', 'Unexpected end of filter expression.', undefined, 1],
    ['foo', 'foo is neither a field nor a protocol name.', 0, 3],
    ['"abc"', '"abc" is neither a field nor a protocol name.', 0, 5],
    ['ip.src == 1.2.3.4.5', '"1.2.3.4.5" is not a valid hostname or IPv4 address.', 10, 9],
    ['ip.ttl == abc', '"abc" is not a valid number.', 10, 3],
    ['ip.ttl == 09', '"09" is not a valid number.', 10, 2],
    ['ip.ttl == 99999', '"99999" too big for this field, maximum 255.', 10, 5],
    ['ip.src == 10.0.0.0/33', 'Netmask bits in a CIDR IPv4 address should be <= 32, not 33', 10, 11],
    ['ipv6.addr == 2001:db8::/129', 'Prefix in a IPv6 address should be <= 128, not 129', 13, 14],
    ['ip.ttl contains 3', 'ip.ttl (type=Unsigned integer (1 byte)) cannot participate in contains comparison.', 0, 6],
    ['ip.ttl == "x"', 'Unsigned integer (1 byte) cannot be converted from a string ("x").', 10, 3],
    ['frame contains "abc', 'The final quote was missing from a quoted string.', 19, 1],
    ['ip.src == 10.0.0.1 foo', '"foo" was unexpected in this context.', 19, 3],
    ['tcp.flags.ack == true', '"true" cannot be found among the possible values for tcp.flags.ack.', 17, 4],
    ['eth.addr == ff:ff:ff:ff:ff', '"ff:ff:ff:ff:ff" contains too few bytes to be a valid Ethernet address.', 12, 14],
    ['ip.ttl == ip.src', 'ip.ttl and ip.src are not of compatible types.', 10, 6],
    ['ip.ttl[0] == 01', '"ip.ttl" is a Unsigned integer (1 byte) and cannot be sliced into a sequence of bytes.', 0, 6],
    ['ip.src in {10.0.2.2 10.0.1.2}', '"10.0.1.2" was unexpected in this context.', 20, 8],
    ['ip.ttl = 1', '"=" was unexpected in this context.', 7, 1],
    ['tcp ^^ udp', '"^" was unexpected in this context.', 4, 1],
    ['()', '")" was unexpected in this context.', 1, 1],
    ['ip.ttl == "\\q"', '\\q is not a valid character escape sequence', 11, 2],
    ['foo(ip.src) == 1', "Function 'foo' does not exist", 0, 3],
    ['tcp.seq == 1 AND tcp', '"AND" was unexpected in this context.', 13, 3],
  ];
  for (const [filter, message, pos, len] of cases) {
    it(filter, () => {
      const e = err(filter);
      expect(e.message).toBe(message);
      expect(e.pos).toBe(pos);
      if (pos !== undefined) expect(e.len).toBe(len);
    });
  }
  it('draws the filter and a caret line', () => {
    expect(formatFilterError('ip.dst == foo', err('ip.dst == foo'), 'netlab: ')).toBe(
      'netlab: "foo" is not a valid hostname or IPv4 address.\n    ip.dst == foo\n              ^~~',
    );
  });
});

describe('evaluation', () => {
  it('presence of fields and protocols', () => {
    expect(m('ip')).toBe(true);
    expect(m('udp')).toBe(true);
    expect(m('tcp')).toBe(false);
    expect(m('ip.flags.df')).toBe(true);
    expect(m('!tcp && icmp')).toBe(true);
    expect(m('')).toBe(true);
  });
  it('== is any occurrence; != is all occurrences differ (4.0); !== and ~= any differs', () => {
    expect(m('ip.src == 10.0.2.2')).toBe(true);
    expect(m('ip.src == 10.0.1.2')).toBe(true);
    expect(m('ip.src != 10.0.2.2')).toBe(false);
    expect(m('ip.src != 1.1.1.1')).toBe(true);
    expect(m('ip.src !== 10.0.2.2')).toBe(true);
    expect(m('ip.src ~= 10.0.2.2')).toBe(true);
    expect(m('ip.src === 10.0.2.2')).toBe(false);
    expect(m('ip.version === 4')).toBe(true);
    expect(m('!(ip.src == 10.0.2.2)')).toBe(false);
  });
  it('comparisons of a missing field are false (both == and !=)', () => {
    expect(m('tcp.port == 80')).toBe(false);
    expect(m('tcp.port != 80')).toBe(false);
    expect(m('not tcp.port == 80')).toBe(true);
  });
  it('numbers in decimal, hex, octal, binary and character constants', () => {
    expect(m('ip.ttl == 251')).toBe(true);
    expect(m('ip.ttl == 0xfb')).toBe(true);
    expect(m('ip.ttl == 0373')).toBe(true);
    expect(m('ip.ttl == 0b11111011')).toBe(true);
    expect(m('ip.ttl eq 1 and ip.ttl gt 250')).toBe(true);
    expect(m('ip.ttl > 251')).toBe(false);
    expect(m('ip.ttl >= 251 && ip.ttl <= 1')).toBe(true);
    expect(m("icmp.type == '\\x03'")).toBe(true);
    expect(m('ip.ttl == -1')).toBe(false);
  });
  it('booleans as 1/0/True/False, any non-zero is true', () => {
    expect(m('ip.flags.df == 1')).toBe(true);
    expect(m('ip.flags.df == True')).toBe(true);
    expect(m('ip.flags.df == 2')).toBe(true);
    expect(m('ip.flags.df == FALSE')).toBe(true);
    expect(m('ip.flags.df === 0')).toBe(false);
  });
  it('addresses and CIDR', () => {
    expect(m('ip.addr == 172.16.0.0/16')).toBe(true);
    expect(m('ip.dst == 172.16.0.0/16')).toBe(true);
    expect(m('ip.src == 10.0.0.0/8 and not ip.dst == 10.0.0.0/8')).toBe(false);
    expect(m('ip.src != 192.168.0.0/16')).toBe(true);
    expect(m('ip.addr eq 10.0.2.2 and ip.addr eq 172.16.0.2')).toBe(true);
    expect(m('ip.src > 10.0.1.255')).toBe(true);
    expect(m('ipv6.addr == 2001:db8::/32', v6)).toBe(true);
    expect(m('ipv6.src == 2001:db8::1', v6)).toBe(true);
    expect(m('ipv6.dst == fe80::/10', v6)).toBe(true);
    expect(m('ipv6.dst == 2001:db8::/32', v6)).toBe(false);
  });
  it("MAC addresses in any of Wireshark's spellings, and slices", () => {
    expect(m('eth.src == 11:22:33:44:55:66')).toBe(true);
    expect(m('eth.src == 11-22-33-44-55-66')).toBe(true);
    expect(m('eth.src == 1122.3344.5566')).toBe(true);
    expect(m('eth.src == 112233445566')).toBe(true);
    expect(m('eth.addr == aa:bb:cc:dd:ee:ff')).toBe(true);
    expect(m('eth.addr == ff:ff:ff:ff:ff:ff')).toBe(false);
    expect(m('eth.src[0:3] == 11:22:33')).toBe(true);
    expect(m('eth.src[:2] == 11:22')).toBe(true);
    expect(m('eth.src[1-2] == 22:33')).toBe(true);
    expect(m('eth.src[-1] == 66')).toBe(true);
    expect(m('eth.src[3:] == 44:55:66')).toBe(true);
    expect(m('frame[0:2] == aa:bb')).toBe(true);
  });
  it('contains and matches', () => {
    expect(m('data.data contains "Hola"', v6)).toBe(true);
    expect(m('data.data contains 6f:6c', v6)).toBe(true);
    expect(m('frame contains "Hola"', v6)).toBe(true);
    expect(m('ipv6 contains "Hola"', v6)).toBe(true);
    expect(m('eth.src contains 33:44')).toBe(true);
    expect(m('frame.protocols contains "icmp"')).toBe(true);
    expect(m('frame.protocols matches "ICMP:IP"')).toBe(true);
    expect(m('frame.protocols matches "(?-i)ICMP"')).toBe(false);
    expect(m('frame.protocols == "eth:ethertype:ip:icmp:ip:udp"')).toBe(true);
  });
  it('membership, ranges, layers and functions', () => {
    expect(m('udp.port in {53, 33446}')).toBe(true);
    expect(m('udp.port in {1..100}')).toBe(false);
    expect(m('ip.ttl in {250..255}')).toBe(true);
    expect(m('udp.port not in {53}')).toBe(true);
    expect(m('tcp.port not in {53}')).toBe(true);
    expect(m('ip.src in {10.0.1.0/24}')).toBe(true);
    expect(m('ip.src#2 == 10.0.1.2')).toBe(true);
    expect(m('ip.src#1 == 10.0.1.2')).toBe(false);
    expect(m('ip#2')).toBe(true);
    expect(m('ip#3')).toBe(false);
    expect(m('count(ip.src) == 2')).toBe(true);
    expect(m('len(eth.src) == 6')).toBe(true);
    expect(m('ip.src == ip.src')).toBe(true);
    expect(m('ip.src == ip.dst')).toBe(true);
    expect(m('ip.src === ip.dst')).toBe(false);
  });
  it('precedence: and binds tighter than or; not binds tightest', () => {
    expect(m('tcp or udp and udp')).toBe(true);
    expect(m('udp and tcp or tcp')).toBe(false);
    expect(m('(tcp or udp) and tcp')).toBe(false);
    expect(m('not tcp and udp')).toBe(true);
    expect(m('!!icmp')).toBe(true);
  });
  it('relative times compare as seconds', () => {
    expect(m('frame.time_relative > 1')).toBe(true);
    expect(m('frame.time_relative < 1.5')).toBe(false);
  });
});

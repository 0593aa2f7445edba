// Fuzz: random token strings through the display-filter compiler, fixed seeds, bounded iterations.
// Each filter either compiles or throws a FilterError whose column lies inside the filter (or has
// none, for "unexpected end"); no other exception, ever. Filters that compile are then matched
// against real dissected frames, which must not throw either. Deep and long random mixtures are
// included (the depth and length limits must answer them, not the JavaScript stack).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect, type Dissection } from '../../src/dissect/dissect.ts';
import { compileFilter, FilterError } from '../../src/dissect/filter/index.ts';
import { CAPTURES } from '../helpers/captures.ts';
import { rng } from '../helpers/rng.ts';

const VOCAB = [
  'ip',
  'ip.src',
  'ip.dst',
  'ip.addr',
  'ip.ttl',
  'tcp',
  'tcp.port',
  'tcp.flags.syn',
  'udp.port',
  'dns',
  'dns.qry.name',
  'dns.flags.rcode',
  'frame',
  'frame.len',
  'eth.addr',
  'eth.src',
  'http.host',
  'icmp.type',
  'nosuch.field',
  '==',
  '!=',
  '===',
  '!==',
  '~=',
  '<',
  '<=',
  '>',
  '>=',
  'eq',
  'ne',
  'lt',
  'gt',
  'contains',
  'matches',
  '~',
  'in',
  'not',
  '!',
  'and',
  'or',
  '&&',
  '||',
  '^^',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ',',
  '..',
  ':',
  '#2',
  '0',
  '1',
  '53',
  '0x35',
  '-1',
  '99999999999999999999',
  '1.5',
  '10.0.0.1',
  '10.0.0.0/8',
  '10.0.0.0/99',
  '::1',
  'fe80::/10',
  'ff:ff:ff:ff:ff:ff',
  '01:02',
  '"a"',
  '"www"',
  '"\\x41"',
  '"unterminated',
  "'a'",
  "'\\n'",
  "'ab'",
  'r"raw\\d"',
  '"(a+)+$"',
  '"[unclosed"',
  '"(?i)WWW"',
  'len(',
  'count(',
  'upper(',
  'lower(',
  'True',
  'False',
  '0:3',
  '1-2',
  '-1:',
  '$',
  '@',
  '\\',
  '\u00e9',
  '',
];

function randomFilter(r: () => number): string {
  const n = 1 + Math.floor(r() * 14);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(VOCAB[Math.floor(r() * VOCAB.length)]);
  return parts.join(r() < 0.7 ? ' ' : '');
}

function frames(): Dissection[] {
  const out: Dissection[] = [];
  for (const f of ['dns-a-ns-mx-aaaa-pcapplusplus.pcap', 'http-get-zeek.pcap', 'icmp-echo-zeek.pcap']) {
    const state = new DissectState();
    for (const p of parseCapture(readFileSync(join(CAPTURES, f))).packets.slice(0, 6)) out.push(dissect(p, state));
  }
  return out;
}

function check(text: string, ds: readonly Dissection[]): 'ok' | 'error' {
  let f: ReturnType<typeof compileFilter>;
  try {
    f = compileFilter(text);
  } catch (err) {
    if (!(err instanceof FilterError)) throw new Error(`filter ${JSON.stringify(text.slice(0, 200))} threw ${(err as Error).name}: ${(err as Error).message}`);
    if (err.pos !== undefined) {
      expect(err.pos).toBeGreaterThanOrEqual(0);
      expect(err.pos).toBeLessThanOrEqual(text.length);
    }
    expect(err.message.includes('\n')).toBe(false);
    return 'error';
  }
  for (const d of ds) f.matches(d);
  return 'ok';
}

describe('display-filter parser fuzz', () => {
  const ds = frames();

  it('4,000 random token strings: a filter or a FilterError, nothing else', () => {
    const r = rng(0xf17);
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 4000; i++) seen[check(randomFilter(r), ds)]++;
    // Both outcomes occur: the fuzzer reaches the compiler, not only the lexer.
    expect(seen.ok).toBeGreaterThan(30);
    expect(seen.error).toBeGreaterThan(1000);
  });

  it('60 deep or long random mixtures: bounded by the limits, never a stack overflow', () => {
    const r = rng(0xdee9);
    for (let i = 0; i < 60; i++) {
      const depth = 50 + Math.floor(r() * 4000);
      const open = ['(', '!', 'not ', 'len(', '!('];
      const pre: string[] = [];
      for (let k = 0; k < depth; k++) pre.push(open[Math.floor(r() * open.length)]);
      const closes = pre
        .map((p) => (p.endsWith('(') ? ')' : ''))
        .reverse()
        .join('');
      const chain = Array.from({ length: Math.floor(r() * 3000) }, () => randomFilter(r)).join(r() < 0.5 ? ' or ' : ' && ');
      check(pre.join('') + 'ip' + closes, ds);
      check(chain, ds);
    }
  });
});

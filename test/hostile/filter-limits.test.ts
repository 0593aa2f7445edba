// Hostile display filters: nesting thousands deep (parentheses, `!`, function calls) and very long
// and/or chains end in a one-line FilterError with the column (exit 2 from `netlab decode -Y`), never
// a JavaScript stack overflow; a `matches` pattern that backtracks catastrophically is abandoned
// after a bounded time, reported once, and decode goes on.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError } from '../../src/dissect/filter/index.ts';
import { MAX_FILTER_DEPTH, MAX_FILTER_TOKENS } from '../../src/dissect/filter/parser.ts';
import { guardedTest, guardRegex, patternShape } from '../../src/dissect/filter/regex-guard.ts';
import { CAPTURES } from '../helpers/captures.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');

function netlab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { maxBuffer: 1 << 24, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

function filterError(text: string): FilterError {
  try {
    compileFilter(text);
  } catch (err) {
    if (err instanceof FilterError) return err;
    throw new Error(`not a FilterError: ${(err as Error).name}: ${(err as Error).message}`);
  }
  throw new Error('the filter compiled');
}

describe('nesting and length are bounded', () => {
  const deep: [string, string, number][] = [
    ['9,000 parentheses', '('.repeat(9000) + 'ip' + ')'.repeat(9000), MAX_FILTER_DEPTH],
    ['10,000 "!"', '!'.repeat(10_000) + 'ip', MAX_FILTER_DEPTH],
    ['5,000 "not"', 'not '.repeat(5000) + 'ip', MAX_FILTER_DEPTH * 4],
    ['3,000 nested len()', 'len('.repeat(3000) + 'ip' + ')'.repeat(3000) + ' == 1', MAX_FILTER_DEPTH * 4],
    ['alternating "!(" 5,000 times', '!('.repeat(5000) + 'ip' + ')'.repeat(5000), MAX_FILTER_DEPTH],
  ];
  for (const [what, text, column] of deep) {
    it(`${what}: a FilterError at column ${column}`, () => {
      const e = filterError(text);
      expect(e.message).toMatch(/nests too deeply: more than 100 levels/);
      expect(e.pos).toBe(column);
    });
  }

  it('nesting up to the limit still compiles, and means what it says', () => {
    expect(() => compileFilter('('.repeat(MAX_FILTER_DEPTH) + 'ip' + ')'.repeat(MAX_FILTER_DEPTH))).not.toThrow();
    expect(() => compileFilter('!'.repeat(MAX_FILTER_DEPTH) + 'ip')).not.toThrow();
  });

  it('an and/or chain of 4,500 comparisons compiles (kept as a list: no stack depth)', () => {
    const f = compileFilter(Array.from({ length: 4500 }, (_, i) => `ip.ttl == ${i % 256}`).join(' or '));
    expect(f.fields).toEqual(['ip.ttl']);
  });

  it(`a chain over ${MAX_FILTER_TOKENS} tokens: a FilterError at the first token past the limit`, () => {
    const text = Array(12_000).fill('ip').join(' && ');
    const e = filterError(text);
    expect(e.message).toMatch(/too long: more than 20000 tokens/);
    expect(text.slice(e.pos ?? 0, (e.pos ?? 0) + 2)).toBe('ip');
    expect(e.pos).toBe(MAX_FILTER_TOKENS / 2 * 6);
  });
});

describe('matches: the work of a match is bounded', () => {
  it('classifies patterns: no quantifier, one, or a shape that may backtrack without bound', () => {
    expect(patternShape('example\\.com$')).toBe('plain');
    expect(patternShape('^www[0-9]+\\.')).toBe('single');
    expect(patternShape('[a+*]{2}x')).toBe('single');
    for (const p of ['(a+)+$', '(a|a)*$', '(.*a){20}', 'a.*a.*b', '(x)\\1', '(?=a*)b', '(?<n>a)\\k<n>']) expect(patternShape(p), p).toBe('risky');
  });

  it('(a+)+$ on 40 letters and a "!": abandoned after the time limit, reported once, then skipped', () => {
    const g = guardRegex(/(a+)+$/iu);
    const reports: string[] = [];
    g.onAbandon = (m) => reports.push(m);
    const text = 'a'.repeat(40) + '!';
    expect(guardedTest(g, text)).toBe(false);
    expect(g.abandoned).toBe(true);
    for (let i = 0; i < 1000; i++) expect(guardedTest(g, text)).toBe(false);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/matching "\(a\+\)\+\$" took more than 200 ms on one value of 41 characters/);
  });

  it('a risky pattern that finishes quickly gives the right answer', () => {
    const g = guardRegex(/(ab)+c/iu);
    expect(guardedTest(g, 'xxababc')).toBe(true);
    expect(guardedTest(g, 'xxababd')).toBe(false);
    expect(g.abandoned).toBe(false);
  });
});

describe('netlab decode -Y with hostile filters', () => {
  it('5,000 parentheses: exit 2, the message, the filter and a caret; no stack trace', async () => {
    const text = '('.repeat(5000) + 'ip' + ')'.repeat(5000);
    const r = await netlab('decode', '-r', join(CAPTURES, 'icmp-echo-zeek.pcap'), '-Y', text);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/nests too deeply/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(' '.repeat(4 + 100) + '^');
    expect(r.stderr).not.toMatch(/RangeError|Maximum call stack|\n\s+at /);
  }, 60_000);

  it('a catastrophic "matches": decode finishes, and says so once', async () => {
    const r = await netlab('decode', '-r', join(CAPTURES, 'http-get-zeek.pcap'), '-Y', 'frame matches "(.*.*)*zq"');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const reports = r.stderr.split('\n').filter((l) => l.includes('took more than 200 ms'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^netlab: display filter: matching "\(\.\*\.\*\)\*zq"/);
  }, 60_000);
});

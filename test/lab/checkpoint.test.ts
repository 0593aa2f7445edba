import { describe, expect, it } from 'vitest';
import { createCheck, hex16, type CheckResult } from '../../src/lab/checkpoint.ts';

function checker(): { check: ReturnType<typeof createCheck>; results: CheckResult[] } {
  const results: CheckResult[] = [];
  return { check: createCheck((r) => results.push(r)), results };
}

describe('checkpoints', () => {
  it('equal compares deeply and prints observed and expected', () => {
    const { check, results } = checker();
    expect(check.equal('bytes', Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(check.equal('list', [1, { a: 2 }], [1, { a: 3 }])).toBe(false);
    expect(check.equal('sum', 0xb4d0, 0xb9d0, hex16)).toBe(false);
    expect(results.map((r) => [r.passed, r.observed, r.expected])).toEqual([
      [true, '01 02', '01 02'],
      [false, '1, (a 2)', '1, (a 3)'],
      [false, '0xb4d0', '0xb9d0'],
    ]);
  });

  it('prints values as words: no undefined, no raw objects, strings quoted only when needed', () => {
    const { check, results } = checker();
    check.equal('nothing', undefined, undefined);
    check.equal('list', ['Good', 'Not present'], ['Good', 'Not present']);
    check.equal('object', { ttl: 60, name: 'a, b' }, { ttl: 60, name: 'a, b' });
    check.equal('empty', '', '');
    expect(results.map((r) => r.observed)).toEqual(['(nothing)', 'Good, Not present', 'ttl 60, name "a, b"', '(empty)']);
  });

  it('ok needs the observed text; a checkpoint needs a label', () => {
    const { check } = checker();
    expect(() => check.ok('claim', true, '')).toThrow(/observed/);
    expect(() => check.equal(' ', 1, 1)).toThrow(/label/);
  });

  it('match, between, atLeast and notEqual state their rule', () => {
    const { check, results } = checker();
    check.match('port', '41234', /^\d+$/);
    check.between('ephemeral', 41234, 32768, 60999);
    check.atLeast('frames', 0, 1, 'frames');
    check.notEqual('checksum changed', 5, 5);
    expect(results.map((r) => `${r.passed} ${r.observed} | ${r.expected}`)).toEqual([
      'true 41234 | matches /^\\d+$/',
      'true 41234 | 32768..60999',
      'false 0 frames | >= 1 frames',
      'false 5 | not 5',
    ]);
  });
});

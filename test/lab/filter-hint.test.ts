import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError, formatFilterError } from '../../src/dissect/filter/index.ts';

const errorText = (filter: string): string => {
  try {
    compileFilter(filter);
  } catch (err) {
    if (err instanceof FilterError) return formatFilterError(filter, err);
    throw err;
  }
  throw new Error(`${filter} compiled`);
};

describe("filter errors: tshark's message, then a suggestion", () => {
  it('a misspelt field gets the field it meant', () => {
    expect(errorText('ip.source == 10.0.0.1')).toBe(
      'ip.source is neither a field nor a protocol name.\n    ip.source == 10.0.0.1\n    ^~~~~~~~~\nDid you mean "ip.src"?',
    );
    expect(errorText('udp.srcprt == 3')).toMatch(/Did you mean "udp\.srcport"\?$/);
  });

  it('a lone = is told to be ==', () => {
    expect(errorText('ip.ttl = 1').split('\n').at(-1)).toBe('To compare, use == (or eq): a single = is not an operator.');
  });

  it('nothing is suggested for a name nothing resembles', () => {
    expect(errorText('zzzz.qqqq == 1')).not.toContain('Did you mean');
  });
});

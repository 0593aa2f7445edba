import { describe, expect, it } from 'vitest';
import { palette } from '../../src/lab/colour.ts';
import { renderHex } from '../../src/lab/hexview.ts';
import { renderSequence } from '../../src/lab/sequence.ts';
import { renderTable } from '../../src/lab/table.ts';
import { colourEnabled } from '../../src/lab/colour.ts';

describe('tables', () => {
  it('align text left and numbers right under a rule', () => {
    expect(
      renderTable(
        ['word', 'value'],
        [
          ['0x486F', 18543],
          ['0x6C61', 27745],
          ['sum', 46288],
        ],
      ),
    ).toEqual(['word    value', '------  -----', '0x486F  18543', '0x6C61  27745', 'sum     46288']);
  });
});

describe('sequence diagrams', () => {
  it('draw arrows both ways between lifelines with times on the left', () => {
    const lines = renderSequence({
      participants: ['client', 'server'],
      messages: [
        { from: 'client', to: 'server', label: 'SYN', time: '0 ms' },
        { from: 1, to: 0, label: 'SYN, ACK', time: '1 ms' },
      ],
    });
    expect(lines[0]).toMatch(/^ *client +server$/);
    expect(lines[2]).toMatch(/^0 ms +\|-+ SYN -+>\|$/);
    expect(lines[3]).toMatch(/^1 ms +\|<-+ SYN, ACK -+\|$/);
    // Lifelines line up in every row.
    const bars = (l: string): number[] => [...l].flatMap((c, i) => (c === '|' ? [i] : []));
    expect(bars(lines[2])).toEqual(bars(lines[1]));
    expect(bars(lines[3])).toEqual(bars(lines[1]));
  });

  it('rejects an unknown participant', () => {
    expect(() => renderSequence({ participants: ['a'], messages: [{ from: 'a', to: 'b', label: 'x' }] })).toThrow(/no participant "b"/);
  });
});

describe('hex with layer spans', () => {
  const bytes = Uint8Array.from({ length: 20 }, (_, i) => i);
  const spans = [
    { label: 'head', offset: 0, length: 4, colour: 36 },
    { label: 'body', offset: 4, length: 14, colour: 32 },
  ];
  it('plain: the dump, then each span with its range; bytes outside every span are counted', () => {
    const lines = renderHex(bytes, palette(false), { spans });
    expect(lines[0]).toBe('0000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f   ................');
    expect(lines[1]).toBe('0010  10 11 12 13' + ' '.repeat(36) + '   ....');
    expect(lines.slice(2)).toEqual(['head  0000-0003      4 bytes', 'body  0004-0011     14 bytes', '(2 bytes after the last layer: padding)']);
  });
  it('coloured: each span in its colour', () => {
    const lines = renderHex(bytes, palette(true), { spans });
    expect(lines[0]).toContain('\x1b[36m00 01 02 03\x1b[0m \x1b[32m04 05');
  });
});

describe('colour decision', () => {
  it('follows the terminal, NO_COLOR and FORCE_COLOR', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { outputWidth, reflow, wrapCommand, wrapWords } from '../../src/lab/layout.ts';
import { renderSequence } from '../../src/lab/sequence.ts';
import { renderTable } from '../../src/lab/table.ts';
import { listText } from '../../src/cli/lab.ts';

const fits = (lines: readonly string[], width: number): void => {
  for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(width);
};

describe('width', () => {
  it("is the terminal's, at least 80; 100 off a terminal", () => {
    expect(outputWidth({ isTTY: true, columns: 160 })).toBe(160);
    expect(outputWidth({ isTTY: true, columns: 60 })).toBe(80);
    expect(outputWidth({ isTTY: false })).toBe(100);
    expect(outputWidth({}, 120)).toBe(120);
  });
});

describe('reflow', () => {
  const prose =
    "An IPv4 header is summed as 16-bit words in one's-complement arithmetic: add the words, fold every carry\n" +
    'above 16 bits back into the low 16 bits, then flip all the bits.\n' +
    '- the TTL (64 -> 63, no checksum update): only the IPv4 header checksum covers it (and the FCS);\n' +
    '- one byte of the source address: the IPv4 checksum and the UDP checksum (its pseudo-header) both see it;\n' +
    'short line one\n' +
    'short line two\n' +
    '  client        server\n' +
    '  |------------>|';

  it('joins hand-wrapped prose and wraps it again; list items hang; short and laid-out lines stay', () => {
    const lines = reflow(prose, 80);
    fits(lines, 80);
    expect(lines[0]).toBe("An IPv4 header is summed as 16-bit words in one's-complement arithmetic: add the");
    expect(lines).toContain('- the TTL (64 -> 63, no checksum update): only the IPv4 header checksum covers');
    expect(lines).toContain('  it (and the FCS);');
    expect(lines).toContain('short line one');
    expect(lines).toContain('short line two');
    expect(lines.slice(-2)).toEqual(['  client        server', '  |------------>|']);
  });

  it('keeps the spaces a line has, and cuts a word longer than the width', () => {
    expect(wrapWords('FAIL  label: value', 80)).toEqual(['FAIL  label: value']);
    fits(wrapWords('x'.repeat(200), 80, '  ', '  '), 80);
  });
});

describe('commands', () => {
  it('break with \\ continuations, options kept with their values, within the width', () => {
    const cmd =
      'wireshark -r netlab-out/checksums/corruption.pcapng -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o eth.check_fcs:TRUE -Y "ip.checksum.status == 1 && udp.checksum.status == 1 && eth.fcs.status == 0"';
    const lines = wrapCommand(cmd, 80, '    ');
    fits(lines, 80);
    expect(lines.slice(0, -1).every((l) => l.endsWith(' \\'))).toBe(true);
    expect(lines.join('\n')).toContain('-o udp.check_checksum:TRUE');
    // The shell joins the lines back: removing `\`-newline and the indentation gives the words again.
    const joined = lines.map((l) => l.replace(/ \\$/, '').trim()).join(' ');
    expect(joined.replace(/\s+/g, ' ')).toBe(cmd);
    expect(wrapCommand('netlab decode -r a.pcapng -Y "dns"', 80)).toEqual(['netlab decode -r a.pcapng -Y "dns"']);
  });
});

describe('tables and diagrams that are too wide', () => {
  const head = ['capture', 'frame', 'what Wireshark says about the frame'];
  const rows = [['netlab-out/checksums/corruption.pcapng', 1, 'the IPv4 header checksum is bad, the UDP checksum is good, the FCS is bad']];

  it('narrow their text columns and wrap the cells within the row', () => {
    const lines = renderTable(head, rows, { maxWidth: 78 });
    fits(lines, 78);
    expect(lines[0]).toMatch(/^capture +frame +what Wireshark says/);
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.join(' ')).toContain('netlab-out/checksums/corruption.pcapng');
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain('the FCS is bad');
  });

  it('become one `column: value` block per row when narrowing is not enough', () => {
    const many = Array.from({ length: 12 }, (_, i) => `column${i}`);
    const lines = renderTable(many, [many.map((c) => `${c}-value`)], { maxWidth: 78 });
    fits(lines, 78);
    expect(lines[0]).toMatch(/^column0: +column0-value$/);
  });

  it('a sequence diagram wider than the terminal becomes a list of messages', () => {
    const spec = {
      participants: ['stub 127.53.0.100', 'resolver 127.53.0.10', 'root 127.53.0.1', 'authoritative 127.53.0.3'],
      messages: [{ from: 0, to: 3, label: 'www.example.com A? with a long label that takes room', time: '0.00 ms' }],
    };
    expect(renderSequence(spec).some((l) => l.length > 78)).toBe(true);
    const lines = renderSequence(spec, 78);
    fits(lines, 78);
    expect(lines[0]).toMatch(/^0\.00 ms {2}stub 127\.53\.0\.100 -> authoritative 127\.53\.0\.3: www/);
  });
});

describe('lab list', () => {
  it('fits 80 columns', async () => {
    const { CATALOGUE } = await import('../../labs/index.ts');
    const text = listText(CATALOGUE, 80);
    fits(text.split('\n'), 80);
    expect(text).toMatch(/^ 1\. encapsulation +15 min$/m);
  });
});

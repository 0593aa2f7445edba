import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFixtures } from '../../src/cli/fixtures.ts';
import { Collect, tinyLab } from './tiny-lab.ts';
import { requireTool } from '../helpers/tools.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'netlab-fixtures-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// The fixtures README records what tshark says about each capture, so writing fixtures needs tshark.
describe.skipIf(!requireTool('tshark'))('netlab fixtures', () => {
  it('writes the same bytes on every run, with a README of captures and filters', async () => {
    const a = temp();
    const b = temp();
    // A capture the lab no longer writes disappears.
    mkdirSync(join(a, 'tiny'), { recursive: true });
    writeFileSync(join(a, 'tiny', 'stale.pcapng'), 'old');
    for (const d of [a, b]) expect(await writeFixtures([tinyLab()], d, new Collect())).toBe(0);
    expect(existsSync(join(a, 'tiny', 'stale.pcapng'))).toBe(false);
    expect(readdirSync(join(a, 'tiny'))).toEqual(['hola.pcapng']);
    for (const f of ['tiny/hola.pcapng', 'README.md']) {
      expect(Buffer.compare(readFileSync(join(a, f)), readFileSync(join(b, f)))).toBe(0);
    }
    const readme = readFileSync(join(a, 'README.md'), 'utf8');
    expect(readme).toContain('| `tiny/hola.pcapng` | 1 | `udp.length == 12` | the datagram |');
    expect(readme).toContain('2024-01-01T00:00:00.000Z');
    expect(readme).toContain('49152');
    expect(readme).toContain('- `tiny/hola.pcapng`: 1 frame: eth:ethertype:ip:udp:data (1)\n');
  });

  it('reports failed checkpoints', async () => {
    expect(await writeFixtures([tinyLab({ failing: true })], temp(), new Collect())).toBe(1);
  });
});

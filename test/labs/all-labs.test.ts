// The catalogue's order and a test file per lab, and the checked-in fixtures being exactly what the
// labs write today.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAllLabs } from '../../labs/index.ts';

const LABS = await loadAllLabs();
import { writeFixtures } from '../../src/cli/fixtures.ts';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import { Collect } from '../lab/tiny-lab.ts';
import { requireTool } from '../helpers/tools.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'netlab-labs-'));
  temps.push(d);
  return d;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

describe('the lab catalogue', () => {
  it('holds the first three labs in tour order', () => {
    expect(LABS.map((l) => l.name).slice(0, 3)).toEqual(['encapsulation', 'checksums', 'ports']);
  });

  // Every lab passing --check is held by each lab's own test (test/labs/NAME.test.ts) and, from the
  // command line, by test/cli/readme-commands.test.ts running the README's `lab run all --check`.
  it('has a test file per lab', () => {
    for (const l of LABS) expect(existsSync(join(import.meta.dirname, `${l.name}.test.ts`)), `test/labs/${l.name}.test.ts`).toBe(true);
  });
});

describe.skipIf(!requireTool('tshark'))('fixtures/', () => {
  let fresh = '';

  it('regenerates byte for byte from the labs (npm run fixtures)', async () => {
    fresh = temp();
    expect(await writeFixtures(LABS, fresh, new Collect())).toBe(0);
    const checkedIn = filesUnder(FIXTURES);
    expect(filesUnder(fresh)).toEqual(checkedIn);
    for (const f of checkedIn) {
      expect(Buffer.compare(readFileSync(join(fresh, f)), readFileSync(join(FIXTURES, f))), `${f} differs from a fresh run: run npm run fixtures`).toBe(0);
    }
  }, 180_000);

  it('opens in tshark with no malformed packet, in every capture', () => {
    const captures = filesUnder(FIXTURES).filter((f) => f.endsWith('.pcapng'));
    expect(captures.length).toBeGreaterThanOrEqual(LABS.length);
    for (const f of captures) {
      const s = tsharkSummary(join(FIXTURES, f));
      expect(s.frames, f).toBeGreaterThan(0);
      expect(s.malformed, f).toBe(0);
    }
  }, 120_000);
});

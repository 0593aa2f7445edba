// The checksums lab: a --check run through the runner with its exact checkpoint count, every printed
// filter counted again by tshark (with the preferences the lab prints), two deterministic runs that
// write the same bytes, a run with a wrong incremental update whose checkpoints fail, and the CLI's
// last line with and without tshark on PATH.

import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { checksumsLab } from '../../labs/checksums.ts';
import { holaFrame, statuses } from '../../labs/checksums/frames.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkInstalled } from '../../src/lab/tshark.ts';
import { expectPrintedFilters, labHarness, failedLabels } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CAPTURES = ['corruption.pcapng', 'hola-udp.pcapng', 'ipv4-header.pcapng', 'nat-rewrite.pcapng', 'tcp-syn.pcapng'];
/** Checkpoints of a full run: 45 of the lab's own and its filters', one per capture more when tshark confirms. */
const CHECKPOINTS_WITHOUT_TSHARK = 54; // with the 9 of its three exercises
const TSHARK_CHECKPOINTS = 5;

const { temp, run } = labHarness('checksums');

describe('lab checksums, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 60_000);

  it('passes every checkpoint, as many as the lab has', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBe(CHECKPOINTS_WITHOUT_TSHARK + (tsharkInstalled() ? TSHARK_CHECKPOINTS : 0));
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it("checks a study guide's numbers", () => {
    const seen = summary.labs[0].results.map((r) => `${r.label}: ${r.observed}`);
    expect(seen).toContain('"Hola" is the words 0x486f, 0x6c61 and sums to a study guide\'s 0xB4D0: 0x486f + 0x6c61 = 0xb4d0');
    expect(seen).toContain('"Mola" sums to a study guide\'s 0xB9D0: 0xb9d0');
    expect(seen).toContain('the UDP length counts the 8-byte header: 8 + 4 = 12: 12');
    expect(seen).toContain('with 40 bytes of options the header is 60 bytes: IHL 15, the most its 4 bits hold: "IHL 15, 60 bytes"');
  });

  it('writes one capture per step that has frames', () => {
    expect(readdirSync(join(out, 'checksums')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('selects with each printed filter, under its printed preferences, as many frames as the lab says', () => {
      expectPrintedFilters(summary, 14, { numbersOnly: true });
    });

    it('agrees that the compensating change passes the UDP checksum and fails the FCS', () => {
      const path = join(out, 'checksums', 'corruption.pcapng');
      const rows = execFileSync(
        'tshark',
        [
          '-n',
          '-r',
          path,
          '-o',
          'udp.check_checksum:TRUE',
          '-o',
          'eth.check_fcs:TRUE',
          '-T',
          'fields',
          '-e',
          'frame.comment',
          '-e',
          'udp.checksum.status',
          '-e',
          'eth.fcs.status',
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows.find((r) => r[0].includes('Hpl`'))?.slice(1)).toEqual(['1', '0']);
      expect(rows.find((r) => r[0].includes('laHo'))?.slice(1)).toEqual(['1', '0']);
      expect(rows.find((r) => r[0].includes('Mola'))?.slice(1)).toEqual(['0', '0']);
    });
  });
});

describe('lab checksums, deterministic (fixtures)', () => {
  it('writes the same bytes twice', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { out: dir, summary: s, text: cText } = await run(lab, { deterministic: true });
      expect(s.failed, cText).toBe(0);
      runs.push(join(dir, 'checksums'));
    }
    for (const f of CAPTURES) expect(Buffer.compare(readFileSync(join(runs[0], f)), readFileSync(join(runs[1], f))), f).toBe(0);
  }, 60_000);
});

describe('lab checksums with a wrong incremental update', () => {
  it('fails the RFC 1624 checkpoints when the update forgets the end-around carry', async () => {
    // Two's-complement arithmetic: HC - m' + m, without folding the borrow back in (off by one here).
    const faulty = checksumsLab({ incrementalUpdate: (hc, m, m2) => (hc - m2 + m) & 0xffff });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('incremental IPv4 header checksum = full recomputation');
    expect(failed).toContain('incremental UDP checksum = full recomputation');
    expect(failed).toContain('the rewritten frame is byte for byte the freshly built one');
    expect(failed).toContain('after the rewrite both checksums verify');
    expect(failed.some((l) => l.startsWith('filter "ip.checksum.status == 1 && udp.checksum.status == 1" selects frames'))).toBe(true);
    // The other steps do not use the update and still pass.
    expect(failed).not.toContain('the hand sum gives the UDP checksum on the wire');
    expect(failed).not.toContain('"Hpl`": the UDP checksum misses it, CRC-32 catches it');
  }, 60_000);
});

describe("the lab's frames", () => {
  it('reads the statuses of a frame with the FCS and without', () => {
    expect(statuses(holaFrame({ fcs: true }), 4)).toEqual({ ip: 'Good', l4: 'Good', fcs: 'Good' });
    expect(statuses(holaFrame(), 0)).toEqual({ ip: 'Good', l4: 'Good', fcs: 'none' });
    expect(statuses(holaFrame({ udpChecksum: 0x1234 }), 0).l4).toBe('Bad');
  });

  it('does not throw on bytes that are not a frame', () => {
    expect(statuses(Uint8Array.of(1, 2, 3), 4)).toEqual({ ip: 'none', l4: 'none', fcs: 'none' });
  });
});

describe('netlab lab run checksums --check (the CLI)', () => {
  const run = (env: NodeJS.ProcessEnv): Promise<{ stdout: string }> =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'lab', 'run', 'checksums', '--check', '--out', temp()], {
      cwd: ROOT,
      env,
      timeout: 60_000,
    });

  it('ends with N passed, 0 failed', async () => {
    const { stdout } = await run({ ...process.env, NO_COLOR: '1' });
    expect(stdout.trim().split('\n').pop()).toBe(`${CHECKPOINTS_WITHOUT_TSHARK + (tsharkInstalled() ? TSHARK_CHECKPOINTS : 0)} passed, 0 failed`);
  }, 60_000);

  it('without tshark on PATH, says the confirmation was skipped and still passes', async () => {
    const { stdout } = await run({ ...process.env, NO_COLOR: '1', PATH: '/nonexistent' });
    expect(stdout).toMatch(/skip {2}tshark is not installed: Wireshark's confirmation is skipped/);
    expect(stdout.trim().split('\n').pop()).toBe(`${CHECKPOINTS_WITHOUT_TSHARK} passed, 0 failed`);
  }, 60_000);
});

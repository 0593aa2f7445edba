// What every TCP lab test checks of a --check run through the runner: every checkpoint passes and the
// last line counts them, the captures the lab writes (and nothing else), and tshark's reading of them
// (no malformed packet, each printed filter selecting as many frames as the lab says, every TCP
// checksum good, segments quoted inside ICMP errors aside: a quote may be cut short). Each lab's own test adds its broken-on-purpose runs.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import type { AnyLab } from '../../src/lab/index.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { requireTool } from '../helpers/tools.ts';
import { type labHarness, tsharkCount } from './harness.ts';

export interface TcpLabCheck {
  readonly name: string;
  readonly lab: AnyLab;
  readonly run: ReturnType<typeof labHarness>['run'];
  /** The captures the lab writes, sorted. */
  readonly captures: readonly string[];
  /** Other files it writes beside them (sorted together with the captures). */
  readonly otherFiles?: readonly string[];
  readonly minPassed: number;
  readonly minFilters: number;
}

/** Defines the describe block; returns the run's output folder for the caller's own checks. */
export function describeTcpLabCheck(c: TcpLabCheck): { out(): string } {
  let out = '';
  describe(`lab ${c.name}, --check through the runner`, () => {
    let text = '';
    let summary: RunSummary;

    beforeAll(async () => {
      ({ out, summary, text } = await c.run(c.lab));
    }, 90_000);

    it('passes every checkpoint and prints the final count', () => {
      expect(summary.failed, text).toBe(0);
      expect(summary.passed).toBeGreaterThanOrEqual(c.minPassed);
      expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
    });

    it('writes one capture per step that moves frames', () => {
      expect(readdirSync(join(out, c.name)).sort()).toEqual([...c.captures, ...(c.otherFiles ?? [])].sort());
    });

    describe.skipIf(!requireTool('tshark'))('tshark', () => {
      it('reads every capture with no malformed packet', () => {
        for (const f of c.captures) {
          const s = tsharkSummary(join(out, c.name, f));
          expect(s.frames, f).toBeGreaterThan(0);
          expect(s.malformed, f).toBe(0);
        }
      }, 120_000);

      it('selects with each printed filter as many frames as the lab says', () => {
        const filters = summary.labs[0].captures.flatMap((cap) => cap.filters.map((f) => ({ path: cap.absolutePath, filter: f.filter, frames: f.frames })));
        expect(filters.length).toBeGreaterThanOrEqual(c.minFilters);
        for (const f of filters) if (typeof f.frames === 'number') expect(tsharkCount(f.path, f.filter), `${f.path}: ${f.filter}`).toBe(f.frames);
      }, 180_000);

      it('finds good TCP checksums on every segment', () => {
        for (const f of c.captures) {
          const path = join(out, c.name, f);
          expect(tsharkCount(path, 'tcp.checksum.status == "Good" && !icmp', ['tcp.check_checksum:TRUE']), f).toBe(tsharkCount(path, 'tcp && !icmp'));
        }
      }, 120_000);
    });
  });
  return { out: () => out };
}

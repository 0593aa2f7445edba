// The l4-vs-l7 lab: one --check run through the runner (every checkpoint, the exercises' scripted
// right and wrong answers), its captures read again by tshark (each printed filter selects as many
// frames as the lab says, nothing malformed, the PROXY headers carry the client's address), and a
// run broken on purpose: the products backend is down, so the L7's routing by path and the study
// guide's table rows that rest on it fail, while the L4 (which retries another endpoint) still answers.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { type State } from '../../labs/l4-vs-l7.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkRows } from './harness.ts';

const { run } = labHarness('l4vs7');

/** How many frames each filter selects, in one tshark pass (io,stat; the filters hold no comma). */
function tsharkCounts(path: string, filters: readonly string[]): number[] {
  const out = execFileSync('tshark', ['-n', '-q', '-r', path, '-z', `io,stat,0,${filters.join(',')}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const row = out.split('\n').filter((l) => /^\| *\d+\.\d+ <> /.test(l));
  if (row.length !== 1) throw new Error(`tshark io,stat gave ${row.length} rows for ${path}:\n${out}`);
  const cells = row[0].split('|').slice(2, -1);
  return filters.map((_, i) => Number(cells[i * 2]));
}

describe('lab l4-vs-l7, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 90_000);

  it('passes every checkpoint and grades the exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(55);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it.skipIf(!requireTool('tshark'))('tshark: every printed filter selects the frames the lab says, and nothing is malformed', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.map((c) => c.path.split('/').pop()).sort()).toEqual([
      'client-address.pcapng',
      'see.pcapng',
      'syn-l4.pcapng',
      'syn-l7.pcapng',
      'tls-l4.pcapng',
      'tls-l7.pcapng',
    ]);
    for (const c of captures) {
      const counts = tsharkCounts(c.absolutePath, ['_ws.malformed', 'frame', ...c.filters.map((f) => f.filter)]);
      expect(counts[0], `malformed frames in ${c.path}`).toBe(0);
      expect(counts[1], c.path).toBeGreaterThan(10);
      c.filters.forEach((f, i) => {
        const n = counts[i + 2];
        if (typeof f.frames === 'number') expect(n, `${f.filter} on ${c.path}`).toBe(f.frames);
        else expect(n, `${f.filter} on ${c.path}`).toBeGreaterThan(0);
      });
    }
  });

  it.skipIf(!requireTool('tshark'))("tshark: the PROXY v1 and v2 headers carry the client's address and port", () => {
    const path = join(r.out, 'l4-vs-l7', 'client-address.pcapng');
    const rows = tsharkRows(path, 'proxy', ['proxy.v1.proto', 'proxy.version', 'proxy.src.ipv4', 'proxy.srcport', 'ip.src']);
    expect(rows.map((x) => [x[0], x[1], x[2], x[4]])).toEqual([
      ['TCP4', '', '127.76.0.50', '127.0.0.1'],
      ['', '2', '127.76.0.50', '127.0.0.1'],
    ]);
    expect(rows.every((x) => Number(x[3]) > 0)).toBe(true);
  });
});

describe('lab l4-vs-l7, broken on purpose', () => {
  it('with the products backend down, the routing-by-path checkpoints fail', async () => {
    const down: Step<State> = {
      title: 'products goes down',
      explain: '',
      async run(ctx) {
        await ctx.state.products?.close();
      },
    };
    const steps = lab.steps as readonly Step<State>[];
    const broken = { ...lab, exercises: [], steps: [steps[0], down, steps[1], steps[2]] } as unknown as AnyLab;
    const { summary, text } = await run(broken);
    const failed = failedLabels(summary);
    expect(failed, text).toContain('L7: /users/42 to users, /products/7 to products (routing by path)');
    // Through the L4 alone on products, the connection is reset: the step stops there.
    expect(failed).toContain('step "The L4 chooses at the SYN, before any request byte exists" ran to the end');
    // The L4 retried another endpoint: its requests were answered (by users), on one connection.
    expect(failed).not.toContain('L4: both requests of the connection went to one backend');
    expect(failed).not.toContain('users answers directly');
  }, 90_000);
});

// The http-versions lab: one --check run through the runner passes every checkpoint and the four
// exercises; every capture opens in tshark with nothing malformed, each printed filter that netlab
// checks selects in tshark the frames the lab says, tshark reads ten HTTP/2 requests and ten responses
// on one connection, and the client's HEADERS frames shrink after the first (HPACK); a run whose link
// loses nothing makes the TCP head-of-line checkpoints fail.

import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/http-versions.ts';
import type { HttpVersionsState } from '../../labs/http-versions/state.ts';
import { CATALOGUE } from '../../labs/index.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCount, tsharkCounts, tsharkRows } from './harness.ts';

const { run } = labHarness('http-versions');

/** HTTP/2 frame types per sender, one entry per frame (a TCP segment may hold several). */
function h2Types(file: string): { from: string; type: number; length: number }[] {
  return tsharkRows(file, 'http2', ['ip.src', 'http2.type', 'http2.length']).flatMap((r) => {
    const lengths = (r[2] ?? '').split(',');
    return (r[1] ?? '').split(',').map((t, i) => ({ from: r[0] ?? '', type: Number(t), length: Number(lengths[i]) }));
  });
}

describe('lab http-versions, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 120_000);

  it('comes right after forward-vs-reverse-proxy in the tour', () => {
    const names = CATALOGUE.map((e) => e.name);
    expect(names.indexOf('http-versions')).toBe(names.indexOf('forward-vs-reverse-proxy') + 1);
  });

  it('passes every checkpoint and the four exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(55);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it.skipIf(!requireTool('tshark'))(
    'every capture: nothing malformed, and each filter netlab checks selects as many frames in tshark',
    () => {
      const captures = r.summary.labs[0]?.captures ?? [];
      expect(captures.map((c) => c.path.split('/').pop())).toEqual([
        'http10.pcapng',
        'keep-alive.pcapng',
        'pipelining.pcapng',
        'hol-pipelined.pcapng',
        'h2-streams.pcapng',
        'hpack-http1.pcapng',
        'hpack-http2.pcapng',
        'tcp-hol-one.pcapng',
        'tcp-hol-three.pcapng',
      ]);
      for (const c of captures) {
        // One tshark pass per capture: the malformed count, then each filter netlab checked.
        const checked = c.filters.filter((f) => typeof f.frames === 'number');
        const counts = tsharkCounts(c.absolutePath, ['_ws.malformed', ...checked.map((f) => f.filter)]);
        expect(counts[0], `malformed frames in ${c.path}`).toBe(0);
        expect(counts.slice(1), c.path).toEqual(checked.map((f) => f.frames));
      }
    },
    120_000,
  );

  it.skipIf(!requireTool('tshark'))(
    'tshark reads HTTP/2 in the h2c captures: ten requests and ten responses on one connection, HEADERS shrinking',
    () => {
      const captures = r.summary.labs[0]?.captures ?? [];
      const file = (name: string): string => captures.find((c) => c.path.endsWith(name))?.absolutePath ?? '';
      const streams = h2Types(file('h2-streams.pcapng'));
      expect(streams.filter((f) => f.from === '127.182.2.4' && f.type === 1)).toHaveLength(10);
      expect(streams.filter((f) => f.from === '127.182.0.1' && f.type === 1)).toHaveLength(10);
      const hpack = h2Types(file('hpack-http2.pcapng'))
        .filter((f) => f.from === '127.182.2.6' && f.type === 1)
        .map((f) => f.length);
      expect(hpack).toHaveLength(10);
      expect(hpack[0]).toBeGreaterThan(150);
      for (const later of hpack.slice(1)) expect(later).toBeLessThan(30);
      // HTTP/1.1 repeats its headers: every request carries the same user agent in full.
      expect(tsharkCount(file('hpack-http1.pcapng'), 'http.user_agent contains "Mozilla/5.0"')).toBe(10);
    },
    120_000,
  );
});

describe('lab http-versions, checkpoints that fail', () => {
  it('a link that loses nothing fails the TCP head-of-line checkpoints', async () => {
    const step = lab.steps.find((s) => s.title.startsWith("TCP's own head-of-line"));
    if (step === undefined || lab.state === undefined) throw new Error('the lab has no TCP head-of-line step');
    const state = lab.state;
    const broken = {
      ...lab,
      exercises: [],
      state: (): HttpVersionsState => ({ ...(state() as HttpVersionsState), loseSegment: false }),
      steps: [step],
    } as unknown as AnyLab;
    const b = await run(broken);
    const failed = failedLabels(b.summary);
    expect(failed, b.text).toEqual(
      expect.arrayContaining([
        'each lossy run lost one segment and retransmitted it once',
        'one connection: all three streams finished later than without loss',
        'three connections: stream 1 finished later, streams 3 and 5 on time',
      ]),
    );
  }, 60_000);
});

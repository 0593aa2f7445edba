// The caching-and-compression lab: one --check run passes (netlab's proxy with its cache and
// compression in front of a counting backend on 127.184.1.x); tshark reads both captures with nothing
// malformed, every printed filter counts as the lab says, and tshark sees the revalidation (the
// proxy's If-None-Match to the backend, its 304) and brotli only on the client side; a proxy whose
// route does not cache makes the hit, Age and revalidation checkpoints fail.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/caching-and-compression.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCounts, tsharkRows } from './harness.ts';

const { run } = labHarness('caching-lab');

describe('lab caching-and-compression, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 120_000);

  it('passes every checkpoint and both exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(35);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes the two captures', () => {
    expect(readdirSync(join(r.out, 'caching-and-compression')).sort()).toEqual(['cache.pcapng', 'compression.pcapng']);
  });

  it.skipIf(!requireTool('tshark'))('tshark: nothing malformed, every printed filter selects the frames the lab says', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures).toHaveLength(2);
    for (const c of captures) {
      const [malformed, ...counts] = tsharkCounts(c.absolutePath, ['_ws.malformed', ...c.filters.map((f) => f.filter)]);
      expect(malformed, c.path).toBe(0);
      c.filters.forEach((f, i) => {
        if (typeof f.frames === 'number') expect(counts[i], `${f.filter} on ${c.path}`).toBe(f.frames);
        else expect(counts[i], `${f.filter} on ${c.path}`).toBeGreaterThan(0);
      });
    }
  });

  it.skipIf(!requireTool('tshark'))("tshark: the 304s on both sides of the proxy, and brotli only on the client's side", () => {
    const dir = join(r.out, 'caching-and-compression');
    const cache = join(dir, 'cache.pcapng');
    expect(tsharkRows(cache, 'http.request.line contains "If-None-Match"', ['ip.src', 'ip.dst', 'http.request.uri'])).toEqual([
      ['127.0.0.1', '127.184.1.11', '/article'],
      ['127.184.1.21', '127.184.1.1', '/article'],
    ]);
    expect(tsharkRows(cache, 'http.response.code == 304', ['ip.src', 'ip.dst'])).toEqual([
      ['127.184.1.11', '127.0.0.1'],
      ['127.184.1.1', '127.184.1.21'],
    ]);
    const compression = join(dir, 'compression.pcapng');
    expect(tsharkRows(compression, 'http.content_encoding == "br"', ['ip.src'])).toEqual([['127.184.1.1'], ['127.184.1.1'], ['127.184.1.1']]);
    // The backend never compressed except the pre-gzipped body: identity bytes on its side.
    expect(tsharkRows(compression, 'http.content_encoding && ip.src == 127.184.1.11', ['http.content_encoding'])).toEqual([['gzip']]);
  });
});

describe('lab caching-and-compression, a checkpoint that fails', () => {
  it('a route without the cache: the hit, Age and revalidation checkpoints say so', async () => {
    const noCache: Step<unknown> = {
      title: 'no cache on the site route',
      explain: '',
      run(ctx) {
        (ctx.state as { noCache?: boolean }).noCache = true;
      },
    };
    const broken: AnyLab = { ...lab, exercises: [], steps: [noCache, lab.steps[0] as Step<unknown>] };
    const res = await run(broken);
    const failed = failedLabels(res.summary);
    expect(failed).toContain('t=3 and t=7: hits with Age 3 and 7');
    expect(failed).toContain("t=12 (older than max-age=10): the proxy revalidated with If-None-Match (the backend's 2 requests for /article)");
    expect(failed).toContain('the backend got 2 requests for /article (a full one and a 304)');
    expect(res.summary.failed).toBeGreaterThanOrEqual(5);
  }, 60_000);
});

describe('lab caching-and-compression, deterministic (fixtures)', () => {
  it('runs the compression step and writes nothing into the fixtures folder', async () => {
    const only: AnyLab = { ...lab, exercises: [], steps: [lab.steps[2] as Step<unknown>] };
    const res = await run(only, { deterministic: true });
    expect(res.summary.failed, res.text).toBe(0);
    expect(readdirSync(res.out)).toEqual([]);
  }, 60_000);
});

// The realtime-patterns lab: one --check run passes (a backend, netlab's proxy and clients on
// 127.186.x loopback addresses; the `ws` package on both WebSocket ends), tshark reads every capture
// with nothing malformed and counts each printed filter as the lab says, tshark's own WebSocket
// dissector sees the ping, the pong and the compressed frames, and a run broken on purpose (a stream
// timeout shorter than the gaps between events) fails the SSE checkpoints.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { realtimePatternsLab } from '../../labs/realtime-patterns.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCounts, tsharkRows } from './harness.ts';

const { run } = labHarness('realtime-lab');
// Fewer held polls than the lab's default 2000 / 1000: the same code, less CI time.
const lab = realtimePatternsLab({ pending: 300, pendingViaProxy: 150 });

describe('lab realtime-patterns, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 120_000);

  it('passes every checkpoint and the exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(30);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes one capture per traffic step', () => {
    expect(readdirSync(join(r.out, 'realtime-patterns')).sort()).toEqual(['long-polling.pcapng', 'short-polling.pcapng', 'sse.pcapng', 'websocket.pcapng']);
  });

  it.skipIf(!requireTool('tshark'))('tshark: nothing malformed, every printed filter selects the frames the lab says', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures).toHaveLength(4);
    for (const c of captures) {
      const [malformed, ...counts] = tsharkCounts(c.absolutePath, ['_ws.malformed', ...c.filters.map((f) => f.filter)]);
      expect(malformed, c.path).toBe(0);
      c.filters.forEach((f, i) => {
        if (typeof f.frames === 'number') expect(counts[i], `${f.filter} on ${c.path}`).toBe(f.frames);
        else expect(counts[i], `${f.filter} on ${c.path}`).toBeGreaterThan(0);
      });
    }
  });

  it.skipIf(!requireTool('tshark'))("tshark's WebSocket dissector: ping and pong on both sides of the proxy, a compressed frame (RSV1)", () => {
    const path = join(r.out, 'realtime-patterns', 'websocket.pcapng');
    const [ws, ping, pong, rsv1] = tsharkCounts(path, ['websocket', 'websocket.opcode == 9', 'websocket.opcode == 10', 'websocket.rsv == 4']);
    expect(ws).toBeGreaterThan(10);
    // One ping on each of the two connections, each seen on both sides of the proxy.
    expect(ping).toBe(4);
    expect(pong).toBe(4);
    expect(rsv1).toBeGreaterThan(0);
    const sse = join(r.out, 'realtime-patterns', 'sse.pcapng');
    const heads = tsharkRows(sse, 'http.content_type contains "event-stream"', ['http.response.code']);
    expect(heads.length).toBeGreaterThan(0);
  });
});

describe('lab realtime-patterns, a checkpoint that fails', () => {
  it('with streamIdleMs below the gaps between events, the proxy cuts the stream: the SSE checkpoints fail', async () => {
    const broken = realtimePatternsLab({ streamIdleMs: 20 });
    const sse = broken.steps.find((s) => s.title.startsWith('Server-Sent Events')) as Step<unknown>;
    const res = await run({ ...broken, exercises: [], steps: [sse] } as AnyLab);
    const failed = failedLabels(res.summary);
    // Cut after at most two events: three connections (or more), not two.
    expect(failed, res.text).toContain('two requests, two connections for six events');
    expect(failed).toContain('the first connection brought events 1, 2, 3, each as it was published');
    expect(failed).not.toContain('the proxy answered text/event-stream');
  }, 60_000);
});

describe('lab realtime-patterns, deterministic (fixtures)', () => {
  it('writes nothing into the fixtures folder (timings and WebSocket keys differ on every run)', async () => {
    const ws = lab.steps.find((s) => s.title.startsWith('WebSocket')) as Step<unknown>;
    const res = await run({ ...lab, exercises: [], steps: [ws] } as AnyLab, { deterministic: true });
    expect(res.summary.failed, res.text).toBe(0);
    expect(readdirSync(res.out)).toEqual([]);
  }, 30_000);
});

// Ended TCP conversations are let go (tcp-conversation-end.ts) without changing what is printed:
// many short connections, each ended long before the next, then the same ports again (Wireshark's
// "TCP Port numbers reused" and a new tcp.stream), a late segment of a let-go connection (its own
// tcp.stream and relative numbers), and UDP in between; checked beside tshark when it is installed.
// Then a long sequence of connections, counting what the dissector still holds.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { PcapWriter } from '../../src/capture/pcap-writer.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldsLine } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { ENDED_GRACE_NS, type EndedConversations } from '../../src/dissect/protocols/tcp-conversation-end.ts';
import { requireTool } from '../helpers/tools.ts';
import { connection, Frames, reuseCapture, T0 } from './tcp-sequence-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-tcpend-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIELDS = ['tcp.stream', 'udp.stream', 'tcp.seq', 'tcp.ack', 'http.request_number', 'http.request_in'];

function netlabLines(packets: CapturedPacket[], state = new DissectState()): { fields: string[]; summary: string[] } {
  const fields: string[] = [];
  const summary: string[] = [];
  for (const p of packets) {
    const d = dissect(p, state);
    fields.push(fieldsLine(d, FIELDS));
    summary.push(summaryLine(d));
  }
  return { fields, summary };
}

function tcpEnds(state: DissectState): EndedConversations {
  return state.slot<{ ended: EndedConversations }>('tcp', () => {
    throw new Error('no tcp state');
  }).ended;
}

describe('ended TCP conversations', () => {
  const frames = reuseCapture();
  const packets = frames.packets();

  it('keeps tcp.stream numbering, port reuse and relative numbers after letting conversations go', () => {
    const state = new DissectState();
    const { fields, summary } = netlabLines(packets, state);
    // Every connection but the last few was let go before the reuse.
    expect(tcpEnds(state).released).toBeGreaterThanOrEqual(60);
    const streams = fields.map((l) => l.split('\t')[0]);
    const synLines = summary.map((s, i) => ({ s, i })).filter(({ s }) => /\[SYN\] Seq=0 Win/.test(s));
    expect(synLines).toHaveLength(71);
    // The reused ports: new streams 60-69, each flagged.
    for (let j = 0; j < 10; j++) {
      const { s, i } = synLines[60 + j];
      expect(streams[i]).toBe(String(60 + j));
      expect(s).toContain('[TCP Port numbers reused]');
    }
    for (let i = 0; i < 60; i++) expect(synLines[i].s).not.toContain('reused');
    // The late FIN belongs to stream 20 with its old relative numbers; the next connection is stream 70.
    const late = summary.map((s, i) => (s.includes('40020 → 80 [FIN, ACK] Seq=29 Ack=39') ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    expect(late).toBeGreaterThan(synLines[69].i);
    expect(streams[late]).toBe('20');
    expect(streams[synLines[70].i]).toBe('70');
    // HTTP request numbers start again on the new streams (a new connection).
    expect(fields.filter((l) => l.split('\t')[4] === '1')).toHaveLength(71);
  });

  it('prints what it printed without letting go (grace longer than the capture)', () => {
    // The same capture squeezed into less than the grace: nothing is let go; the lines must match
    // the spaced-out run's, but for timestamps (deltas are not among the fields).
    const squeezed = packets.map((p, i) => ({ ...p, tsSec: T0, tsNsec: i * 1000 }));
    const state = new DissectState();
    const whole = netlabLines(squeezed, state);
    expect(tcpEnds(state).released).toBe(0);
    expect(ENDED_GRACE_NS).toBeGreaterThan(squeezed.length * 1000);
    const spaced = netlabLines(packets);
    expect(spaced.fields).toEqual(whole.fields);
  });

  it.skipIf(!requireTool('tshark'))('agrees with tshark on stream numbers, reuse and relative numbers', async () => {
    const path = join(dir, 'reuse.pcap');
    const w = PcapWriter.toFile(path, { linkType: 1 });
    for (const p of packets) w.write({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data });
    await w.close();
    const { stdout } = await run('tshark', ['-r', path, '-T', 'fields', ...FIELDS.flatMap((n) => ['-e', n])], { maxBuffer: 64 << 20 });
    const theirs = stdout.split('\n').slice(0, -1);
    const ours = netlabLines(packets).fields;
    expect(ours).toEqual(theirs);
  });

  it('holds a bounded number of conversations on a long sequence of connections', () => {
    const f = new Frames();
    const n = 1500;
    // Distinct client addresses and ports (no reuse), 300 ms apart: at most a handful open or in grace.
    for (let i = 0; i < n; i++) connection(f, i * 300, `10.${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, 20000 + (i % 40000), (i * 2654435761) >>> 0);
    const state = new DissectState();
    let maxWaiting = 0;
    let maxHttp = 0;
    for (const p of f.packets()) {
      dissect(p, state);
      const ended = tcpEnds(state);
      maxWaiting = Math.max(maxWaiting, ended.waiting);
      maxHttp = Math.max(maxHttp, state.slot<Map<number, unknown>>('http', () => new Map()).size);
    }
    const ended = tcpEnds(state);
    const inGrace = Math.ceil(ENDED_GRACE_NS / 300_000_000) + 1;
    expect(ended.released).toBeGreaterThanOrEqual(n - inGrace);
    expect(maxWaiting).toBeLessThanOrEqual(inGrace + 1);
    expect(maxHttp).toBeLessThanOrEqual(inGrace + 2);
  });
});

// The sequence diagram's model: the short labels of frames, columns and arrows that follow the packet
// list (same filter, same indexes), endpoints (address:port) as columns, and a 20,000-frame capture
// served a window at a time. The follow-stream text the panel shows (ASCII with dots, hex dump).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureModel } from '../../src/view/capture-model.ts';
import { trimFollow } from '../../src/view/capture-routes.ts';
import { asciiOf, followTexts, hexDumpOf } from '../../src/view/page/follow-text.ts';
import { SequenceModel, shortLabel } from '../../src/view/sequence.ts';
import { FlowIndex } from '../../src/view/streams.ts';
import { type Segment, writeTcpCapture } from './tcp-capture.ts';

const FILE = join(import.meta.dirname, '..', 'captures', 'http-get-zeek.pcap');
const dir = mkdtempSync(join(tmpdir(), 'netlab-seq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('short labels', () => {
  it.each([
    ['TCP', '59856 \u2192 80 [SYN] Seq=0 Win=65535 Len=0 MSS=1460', 'SYN'],
    ['TCP', '80 \u2192 59856 [SYN, ACK] Seq=0 Ack=1 Win=14480 Len=0', 'SYN, ACK'],
    ['TCP', '80 \u2192 59856 [PSH, ACK] Seq=1 Ack=1 Win=501 Len=120', 'PSH, ACK Len=120'],
    ['TCP', '[TCP Retransmission] 80 \u2192 59856 [PSH, ACK] Seq=1 Ack=1 Win=501 Len=120', 'Retransmission: PSH, ACK Len=120'],
    ['TCP', '[TCP Dup ACK 5#1] 59856 \u2192 80 [ACK] Seq=1 Ack=1 Win=501 Len=0', 'Dup ACK 5#1: ACK'],
    ['TCP', 'HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]', '200 OK [segment]'],
    ['HTTP', 'GET / HTTP/1.1 ', 'GET /'],
    ['HTTP', 'HTTP/1.1 404 Not Found  (text/html)', '404 Not Found'],
    ['HTTP', 'POST /api/v1/items?id=7 HTTP/1.0 ', 'POST /api/v1/items?id=7'],
    ['DNS', 'Standard query 0x1234 A www.netlab.test', 'Standard query 0x1234 A www.netlab.test'],
    ['UDP', `40000 \u2192 53 Len=${'9'.repeat(60)}`, `40000 \u2192 53 Len=${'9'.repeat(28)}\u2026`],
    ['ARP', '', 'ARP'],
  ])('%s %j -> %j', (protocol, info, label) => {
    expect(shortLabel({ protocol, info })).toBe(label);
  });
});

describe('the sequence model', () => {
  it('has one arrow per row of the list, the same frames and indexes, from source column to destination column', async () => {
    const model = await CaptureModel.load(FILE);
    const seq = new SequenceModel(model, new FlowIndex());
    const all = seq.window(0, 100, '', 'hosts');
    const rows = model.list(0, 100).rows;
    expect(all.total).toBe(14);
    expect(all.hosts).toEqual(['141.142.228.5', '192.150.187.43']);
    expect(all.arrows.map((a) => a.no)).toEqual(rows.map((r) => r.no));
    all.arrows.forEach((a, i) => {
      expect(a.index).toBe(i);
      expect(all.hosts[a.from]).toBe(rows[i].src);
      expect(all.hosts[a.to]).toBe(rows[i].dst);
    });
    // A filter keeps the list's rows and indexes; columns are those of the kept rows.
    const syn = seq.window(0, 100, 'tcp.flags.syn == 1', 'endpoints');
    expect(syn.arrows.map((a) => [a.index, a.no, a.label])).toEqual([
      [0, 1, 'SYN'],
      [1, 2, 'SYN, ACK'],
    ]);
    expect(syn.hosts).toEqual(['141.142.228.5:59856', '192.150.187.43:80']);
    expect(syn.arrows.map((a) => [a.from, a.to])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    // A window in the middle.
    const mid = seq.window(5, 3, '', 'hosts');
    expect(mid.arrows.map((a) => a.no)).toEqual([6, 7, 8]);
    expect(mid.offset).toBe(5);
  });

  it('serves a 20,000-frame capture a window at a time, every arrow in place', async () => {
    const segments: Segment[] = [
      { from: 'c', flags: 'S', seq: 0 },
      { from: 's', flags: 'SA', seq: 0 },
    ];
    // Ping-pong: each side sends 4 bytes and acknowledges what the other sent.
    for (let i = 0; segments.length < 20_000; i++) {
      const k = Math.floor(i / 2);
      const client = i % 2 === 0;
      segments.push({ from: client ? 'c' : 's', flags: 'PA', seq: 1 + k * 4, ack: 1 + (client ? k : k + 1) * 4, data: 'ping' });
    }
    const file = join(dir, 'big.pcap');
    writeTcpCapture(file, segments);
    const model = await CaptureModel.load(file);
    const seq = new SequenceModel(model, new FlowIndex());
    const end = seq.window(19_990, 500, '', 'endpoints');
    expect(end.total).toBe(20_000);
    expect(end.arrows.length).toBe(10);
    expect(end.arrows[9]).toMatchObject({ index: 19_999, no: 20_000, label: 'PSH, ACK Len=4', from: 1, to: 0 });
    expect(end.hosts).toEqual(['127.187.0.1:40000', '127.187.0.2:8080']);
  }, 120_000);
});

describe('follow-stream text', () => {
  it('shows ASCII with line breaks (CR LF as one), non-printables as dots; hex dumps count per direction', () => {
    const bytes = Uint8Array.from([0x47, 0x45, 0x54, 0x0d, 0x0a, 0x00, 0x7f, 0xff, 0x41, 0x0d, 0x42]);
    expect(asciiOf(bytes)).toBe('GET\n...A.B');
    expect(hexDumpOf(Uint8Array.from([0x41, 0x42]), 0x20)).toBe(`00000020  41 42${' '.repeat(42)}  AB`);
    const texts = followTexts(
      [
        { dir: 0, frame: 4, hex: '41'.repeat(17) },
        { dir: 1, frame: 5, hex: '42' },
        { dir: 0, frame: 6, hex: '43' },
      ],
      'hex',
    );
    expect(texts.map((t) => t.text.split('\n').map((l) => l.slice(0, 8)))).toEqual([['00000000', '00000010'], ['00000000'], ['00000011']]);
  });
});

describe('a long stream', () => {
  it('is cut to the most bytes one answer carries, with a note', () => {
    const body = {
      stream: 0,
      client: 'a:1',
      server: 'b:2',
      kind: 'tcp' as const,
      chunks: [
        { dir: 0 as const, frame: 1, hex: '41'.repeat(6) },
        { dir: 1 as const, frame: 2, hex: '42'.repeat(6) },
        { dir: 0 as const, frame: 3, hex: '43' },
      ],
      bytes: [7, 6] as [number, number],
      frames: [1, 2, 3],
      notes: [],
    };
    trimFollow(body, 8);
    expect(body.chunks.map((c) => c.hex)).toEqual(['41'.repeat(6), '4242']);
    expect(body.notes).toEqual(['the stream holds 13 bytes: the first 8 are shown']);
    const whole = { ...body, chunks: [{ dir: 0 as const, frame: 1, hex: '41' }], notes: [] as string[] };
    trimFollow(whole, 1);
    expect(whole.notes).toEqual([]);
  });
});

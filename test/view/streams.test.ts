// The view's Follow TCP Stream against tshark's: for every TCP stream of shared captures, the bytes
// each direction sent, put back in order, equal tshark's `-z follow,tcp,raw,N` byte for byte, and the
// endpoints are tshark's Node 0 and Node 1. Then a stream built here with a retransmission, an
// overlap and segments out of order is followed as tshark follows it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureModel } from '../../src/view/capture-model.ts';
import { FlowIndex, followTcp } from '../../src/view/streams.ts';
import { requireTool } from '../helpers/tools.ts';
import { writeTcpCapture } from './tcp-capture.ts';

const run = promisify(execFile);
const CAPTURES = join(import.meta.dirname, '..', 'captures');

interface TsharkFollow {
  nodes: [string, string];
  bytes: [string, string];
}

/** tshark's follow of stream n: the two nodes and the hex each one sent (server lines start with a tab). */
async function tsharkFollow(file: string, n: number): Promise<TsharkFollow> {
  const { stdout } = await run('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${n}`], { maxBuffer: 64 << 20 });
  const nodes: [string, string] = ['', ''];
  const bytes: [string, string] = ['', ''];
  let inBody = false;
  for (const line of stdout.split('\n')) {
    const node = /^Node ([01]): (.*)$/.exec(line);
    if (node) {
      nodes[Number(node[1])] = node[2];
      inBody = true;
      continue;
    }
    if (!inBody || line.startsWith('=====') || line === '') continue;
    if (line.startsWith('\t')) bytes[1] += line.slice(1);
    else bytes[0] += line;
  }
  return { nodes, bytes };
}

async function streamCount(file: string): Promise<number> {
  const { stdout } = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.stream']);
  const ids = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
  return ids.length === 0 ? 0 : Math.max(...ids) + 1;
}

function ours(model: CaptureModel, n: number): { nodes: [string, string]; bytes: [string, string] } {
  const index = new FlowIndex();
  index.update(model.packetsRead);
  const s = followTcp(index, model.packetsRead, n);
  if (s === undefined) throw new Error(`no stream ${n}`);
  const bytes: [string, string] = ['', ''];
  for (const c of s.chunks) bytes[c.dir] += Buffer.from(c.data).toString('hex');
  return { nodes: [s.client, s.server], bytes };
}

const FILES = [
  'http-get-zeek.pcap',
  'tcp-handshake-options-http-zeek.pcap',
  'dns-over-tcp-tcpdump.pcap',
  'tls12-handshake-sni-alpn-zeek.pcap',
  'tls13-handshake-sni-alpn-zeek.pcap',
  'sll-ipv6-http-pcapplusplus.pcap',
  'vlan-triple-tag-http-zeek.pcap',
];

describe.skipIf(!requireTool('tshark'))('Follow TCP Stream against tshark', () => {
  it.each(FILES)('%s: every stream, each direction, byte for byte', async (name) => {
    const file = join(CAPTURES, name);
    const model = await CaptureModel.load(file);
    const count = await streamCount(file);
    expect(count).toBeGreaterThan(0);
    const index = new FlowIndex();
    index.update(model.packetsRead);
    expect(index.streamCount).toBe(count);
    for (let n = 0; n < count; n++) {
      const want = await tsharkFollow(file, n);
      const got = ours(model, n);
      expect(got.bytes, `${name} stream ${n}`).toEqual(want.bytes);
      expect(got.nodes, `${name} stream ${n}`).toEqual(want.nodes);
    }
  });

  const dir = mkdtempSync(join(tmpdir(), 'netlab-follow-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a retransmission, an overlap and segments out of order come out as tshark puts them', async () => {
    const file = join(dir, 'reordered.pcap');
    // Client ISN 1000, server ISN 5000. Client bytes: "hello " (1001), "big " (1007), "world" (1011).
    writeTcpCapture(file, [
      { from: 'c', flags: 'S', seq: 1000 },
      { from: 's', flags: 'SA', seq: 5000 },
      { from: 'c', flags: 'PA', seq: 1001, data: 'hello ' },
      { from: 'c', flags: 'PA', seq: 1011, data: 'world' }, // ahead of a hole
      { from: 's', flags: 'PA', seq: 5001, data: 'HTTP' },
      { from: 'c', flags: 'PA', seq: 1001, data: 'hello ' }, // retransmission
      { from: 'c', flags: 'PA', seq: 1005, data: 'o big ' }, // overlaps 2 bytes, fills the hole
      { from: 's', flags: 'PA', seq: 5003, data: 'TP/1' }, // overlap
      { from: 's', flags: 'PA', seq: 5020, data: 'lost' }, // a hole never filled
      { from: 'c', flags: 'FA', seq: 1016 },
    ]);
    const model = await CaptureModel.load(file);
    const got = ours(model, 0);
    const want = await tsharkFollow(file, 0);
    expect(Buffer.from(got.bytes[0], 'hex').toString()).toBe('hello big world');
    expect(Buffer.from(got.bytes[1], 'hex').toString()).toBe('HTTP/1');
    expect(got.bytes).toEqual(want.bytes);
    const index = new FlowIndex();
    index.update(model.packetsRead);
    const s = followTcp(index, model.packetsRead, 0);
    expect(s?.retransmitted).toBe(1);
    expect(s?.unfilled).toBe(1);
    expect(followTcp(index, model.packetsRead, 1)).toBeUndefined();
  });
});

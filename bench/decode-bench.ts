// Header decode throughput: netlab's wire decoder, netlab's full dissector, the `pcap` npm package's
// decoders, tshark and tcpdump, all on the same capture, all producing the IPv4 source address of
// every frame (what `tshark -T fields -e ip.src` prints).

import { readFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { CaptureParser, parseCapture } from '../src/capture/index.ts';
import { dissect } from '../src/dissect/dissect.ts';
import { DissectState } from '../src/dissect/context.ts';
import { decode } from '../src/wire/decode.ts';
import { HeaderIndex } from '../src/wire/header-index.ts';
import type { CapturedPacket } from '../src/capture/types.ts';
import { hasCommand, loadPcapNpm, timeCommand } from './peers.ts';

export interface DecodeRow {
  name: string;
  /** What was timed, in words. */
  path: string;
  frames: number;
  bytes: number;
  seconds: number;
  /** Frames that produced an ip.src (a check that each decoder did the work). */
  ipv4: number;
  skipped?: string;
}

function ipText(a: Uint8Array): string {
  return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
}

function netlabDecode(frames: readonly Uint8Array[], verifyChecksums: boolean): { ipv4: number; sink: number } {
  let ipv4 = 0;
  let sink = 0;
  for (const f of frames) {
    const r = decode(f, 1, { verifyChecksums });
    for (const l of r.layers) {
      if (l.kind === 'ipv4') {
        sink += ipText((l.value as { src: Uint8Array }).src).length;
        ipv4++;
        break;
      }
    }
  }
  return { ipv4, sink };
}

function netlabIndex(frames: readonly Uint8Array[], asText: boolean): { ipv4: number; sink: number } {
  const h = new HeaderIndex();
  let ipv4 = 0;
  let sink = 0;
  for (const f of frames) {
    h.index(f, 1);
    if (asText) {
      const src = h.ipv4SrcText();
      if (src !== '') {
        sink += src.length;
        ipv4++;
      }
    } else {
      const src = h.ipv4Src();
      if (src >= 0) {
        sink += src & 1;
        ipv4++;
      }
    }
  }
  return { ipv4, sink };
}

function pcapNpmDecode(frames: readonly Buffer[], asText: boolean): { ipv4: number; sink: number } {
  const PcapPacket = loadPcapNpm();
  const header = Buffer.alloc(16);
  let ipv4 = 0;
  let sink = 0;
  for (const buf of frames) {
    // node_pcap's C++ side fills one shared 16-byte header per packet; the same here.
    header.writeUInt32LE(buf.length, 8);
    header.writeUInt32LE(buf.length, 12);
    const p = new PcapPacket().decode({ buf, header, link_type: 'LINKTYPE_ETHERNET' });
    const saddr = p.payload?.payload?.saddr;
    if (saddr !== undefined) {
      sink += asText ? saddr.toString().length : 1;
      ipv4++;
    }
  }
  return { ipv4, sink };
}

function timed<T>(fn: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - start) / 1e9];
}

export async function decodeBench(path: string, fileBytes: number, dissectFrames: number): Promise<DecodeRow[]> {
  const rows: DecodeRow[] = [];
  // The whole path from the file, as tshark and tcpdump do it: read, index the headers, ip.src text.
  // Measured first, before a million packets sit in memory and slow the garbage collector down.
  await readIndexed(path); // warm-up
  let start = process.hrtime.bigint();
  const file = await readIndexed(path);
  rows.push({
    name: 'netlab read + HeaderIndex',
    path: 'pcap file streamed (CaptureParser) -> ip.src text',
    frames: file.count,
    bytes: fileBytes,
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    ipv4: file.ipv4,
  });
  start = process.hrtime.bigint();
  const full = await readDecoded(path);
  rows.push({
    name: 'netlab read + decode()',
    path: 'pcap file streamed -> layer list -> ip.src text',
    frames: full.count,
    bytes: fileBytes,
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    ipv4: full.ipv4,
  });
  if (hasCommand('tshark')) {
    const sec = await timeCommand('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'ip.src']);
    rows.push({
      name: 'tshark -T fields -e ip.src',
      path: 'pcap file -> ip.src text (/dev/null)',
      frames: full.count,
      bytes: fileBytes,
      seconds: sec,
      ipv4: -1,
    });
  } else
    rows.push({
      name: 'tshark -T fields -e ip.src',
      path: '',
      frames: 0,
      bytes: 0,
      seconds: 0,
      ipv4: -1,
      skipped: 'tshark not installed (apt-get install tshark)',
    });
  if (hasCommand('tcpdump')) {
    const sec = await timeCommand('tcpdump', ['-r', path, '-nn']);
    rows.push({
      name: 'tcpdump -r -nn',
      path: 'pcap file -> one summary line per packet (/dev/null)',
      frames: full.count,
      bytes: fileBytes,
      seconds: sec,
      ipv4: -1,
    });
  } else rows.push({ name: 'tcpdump -r -nn', path: '', frames: 0, bytes: 0, seconds: 0, ipv4: -1, skipped: 'tcpdump not installed (apt-get install tcpdump)' });

  // In memory: the decoders alone, on the same frames (Buffers over the same bytes for node_pcap).
  const packets: CapturedPacket[] = [...parseCapture(readFileSync(path), path).packets];
  const frames = packets.map((p) => p.data);
  const buffers = frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));
  const n = frames.length;
  const frameBytes = frames.reduce((s, f) => s + f.length, 0);
  // Warm-up passes so that the JS decoders are measured after the JIT has settled.
  for (const asText of [false, true]) {
    netlabIndex(frames.slice(0, 50_000), asText);
    pcapNpmDecode(buffers.slice(0, 50_000), asText);
  }
  netlabDecode(frames.slice(0, 50_000), false);

  let [r, s] = timed(() => netlabIndex(frames, false));
  rows.push({ name: 'netlab HeaderIndex', path: 'in memory: header offsets, ip.src as a number', frames: n, bytes: frameBytes, seconds: s, ipv4: r.ipv4 });
  [r, s] = timed(() => pcapNpmDecode(buffers, false));
  rows.push({ name: 'pcap npm 3.1.0 decoders', path: 'in memory: PcapPacket.decode, saddr object', frames: n, bytes: frameBytes, seconds: s, ipv4: r.ipv4 });
  [r, s] = timed(() => netlabIndex(frames, true));
  rows.push({ name: 'netlab HeaderIndex + text', path: 'in memory: as above, ip.src as text', frames: n, bytes: frameBytes, seconds: s, ipv4: r.ipv4 });
  [r, s] = timed(() => pcapNpmDecode(buffers, true));
  rows.push({ name: 'pcap npm 3.1.0 decoders + text', path: 'in memory: as above, saddr.toString()', frames: n, bytes: frameBytes, seconds: s, ipv4: r.ipv4 });
  [r, s] = timed(() => netlabDecode(frames, false));
  rows.push({
    name: 'netlab decode()',
    path: 'in memory: full layer list (every field, span, malformation), ip.src text',
    frames: n,
    bytes: frameBytes,
    seconds: s,
    ipv4: r.ipv4,
  });
  [r, s] = timed(() => netlabDecode(frames, true));
  rows.push({
    name: 'netlab decode(), checksums verified',
    path: 'in memory: as above, IP/TCP/UDP checksums checked',
    frames: n,
    bytes: frameBytes,
    seconds: s,
    ipv4: r.ipv4,
  });

  // The full dissector (every field with Wireshark's names, as `netlab decode -T fields` uses) on a subset.
  const subset = packets.slice(0, Math.min(dissectFrames, n));
  start = process.hrtime.bigint();
  const state = new DissectState();
  let ipv4 = 0;
  for (const p of subset) {
    const d = dissect(p, state);
    if (d.protos.some((x) => x.proto === 'ip')) ipv4++;
  }
  rows.push({
    name: 'netlab dissect() (full field tree)',
    path: `in memory, first ${subset.length} frames: Wireshark field tree`,
    frames: subset.length,
    bytes: subset.reduce((sum, p) => sum + p.data.length, 0),
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    ipv4,
  });
  return rows;
}

/** Streams the file through the capture parser in 1 MiB chunks, handing each packet to `each`. */
async function readEach(path: string, each: (p: CapturedPacket) => void): Promise<number> {
  const parser = new CaptureParser(path);
  let count = 0;
  const drain = (): void => {
    for (let p = parser.next(); p !== undefined; p = parser.next()) {
      count++;
      each(p);
    }
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    parser.push(chunk as Buffer);
    drain();
  }
  parser.end();
  drain();
  return count;
}

/** Reads the file and indexes every frame's headers, ip.src as text. */
async function readIndexed(path: string): Promise<{ count: number; ipv4: number }> {
  const h = new HeaderIndex();
  let ipv4 = 0;
  const count = await readEach(path, (p) => {
    h.index(p.data, p.iface.linkType);
    if (h.ipv4SrcText() !== '') ipv4++;
  });
  return { count, ipv4 };
}

/** The same with the full layer list per frame. */
async function readDecoded(path: string): Promise<{ count: number; ipv4: number }> {
  let ipv4 = 0;
  const count = await readEach(path, (p) => {
    const ip = decode(p.data, p.iface.linkType, { verifyChecksums: false }).layers.find((l) => l.kind === 'ipv4');
    if (ip !== undefined && ipText((ip.value as { src: Uint8Array }).src) !== '') ipv4++;
  });
  return { count, ipv4 };
}

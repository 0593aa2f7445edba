// Writers: what they write reads back identical (packets, comments, secrets, interfaces), memory and
// file outputs are byte-identical, and close() releases the file.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LINKTYPE, canonicalLinkType, linkTypeName } from '../../src/capture/link-types.ts';
import { PcapWriter } from '../../src/capture/pcap-writer.ts';
import { SECRETS_TYPE } from '../../src/capture/pcapng-blocks.ts';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { openCapture, parseCapture } from '../../src/capture/read.ts';
import type { PacketToWrite } from '../../src/capture/writer-base.ts';
import { frame } from './craft.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-capture-writers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYLOG = 'CLIENT_RANDOM 0102030405060708 090a0b0c0d0e0f10\nSERVER_HANDSHAKE_TRAFFIC_SECRET 0102 0304\n';

function packets(n: number): PacketToWrite[] {
  return Array.from({ length: n }, (_, i) => ({ tsSec: 1_700_000_000 + i, tsNsec: (i * 111_111_111) % 1_000_000_000, data: frame(i, 60 + i) }));
}

/** Open fs handles and requests, once the callbacks in flight have returned. */
async function fileHandles(): Promise<number> {
  await new Promise((r) => setImmediate(r));
  return process.getActiveResourcesInfo().filter((r) => r === 'FileHandle' || r === 'FSReqCallback').length;
}

describe('PcapWriter', () => {
  for (const precision of ['usec', 'nsec'] as const) {
    for (const byteOrder of ['le', 'be'] as const) {
      it(`round-trips ${precision} ${byteOrder}`, () => {
        const w = new PcapWriter({ linkType: LINKTYPE.ETHERNET, precision, byteOrder });
        for (const p of packets(5)) w.write(p);
        expect(w.packetCount).toBe(5);
        const cap = parseCapture(w.toBytes());
        expect(cap.format).toBe(`pcap-${byteOrder}-${precision}`);
        expect(cap.packets.map((p) => [p.tsSec, p.tsNsec, p.data.length])).toEqual(
          packets(5).map((p) => [p.tsSec, precision === 'nsec' ? p.tsNsec : Math.floor(p.tsNsec / 1000) * 1000, p.data.length]),
        );
        expect(cap.packets[3].data).toEqual(frame(3, 63));
      });
    }
  }

  it('writes the fixed header bytes (LE usec) and the FCS bits', () => {
    const bytes = new PcapWriter({ linkType: 1, snapLength: 65535, fcsLength: 4 }).toBytes();
    expect(Buffer.from(bytes).toString('hex')).toBe('d4c3b2a1020004000000000000000000ffff000001000024');
    expect(parseCapture(bytes).interfaces[0].fcsLength).toBe(4);
  });

  it('cuts packets to the snap length and keeps the wire length', () => {
    const w = new PcapWriter({ linkType: 1, snapLength: 20 });
    w.write({ tsSec: 1, tsNsec: 0, data: frame(), origLength: 1514 });
    const [p] = parseCapture(w.toBytes()).packets;
    expect(p.data.length).toBe(20);
    expect(p.origLength).toBe(1514);
  });

  it('refuses timestamps and interfaces it cannot store', () => {
    const w = new PcapWriter({ linkType: 1 });
    expect(() => w.write({ tsSec: -1, tsNsec: 0, data: frame() })).toThrow(RangeError);
    expect(() => w.write({ tsSec: 1, tsNsec: 1e9, data: frame() })).toThrow(RangeError);
    expect(() => w.write({ tsSec: 2 ** 32, tsNsec: 0, data: frame() })).toThrow(RangeError);
    expect(() => w.write({ tsSec: 1, tsNsec: 0, data: frame(), interfaceId: 1 })).toThrow(RangeError);
    expect(() => new PcapWriter({ linkType: 70000 })).toThrow(RangeError);
    expect(() => new PcapWriter({ linkType: 1, fcsLength: 3 })).toThrow(RangeError);
  });
});

describe('PcapngWriter', () => {
  function sample(byteOrder: 'le' | 'be' = 'le'): PcapngWriter {
    const w = new PcapngWriter({ byteOrder, comment: 'made by a test', interfaces: [{ linkType: 1, name: 'veth0', description: 'lab link', fcsLength: 0 }] });
    w.writeTlsKeyLog(KEYLOG);
    const tun = w.addInterface({ linkType: LINKTYPE.RAW, name: 'tun0', snapLength: 100 });
    const ps = packets(4);
    w.write({ ...ps[0], comments: ['ClientHello', 'second comment'] });
    w.write({ ...ps[1], interfaceId: tun });
    w.writeSecrets(Uint8Array.of(1, 2, 3), SECRETS_TYPE.WIREGUARD_KEY_LOG);
    w.write(ps[2]);
    w.write({ ...ps[3], interfaceId: tun, origLength: 9000 });
    return w;
  }

  for (const byteOrder of ['le', 'be'] as const) {
    it(`round-trips packets, nanosecond timestamps, comments, secrets and interfaces (${byteOrder})`, () => {
      const cap = parseCapture(sample(byteOrder).toBytes());
      expect(cap.format).toBe(`pcapng-${byteOrder}`);
      expect(cap.sections[0]).toMatchObject({ application: 'netlab', comments: ['made by a test'] });
      expect(cap.sections[0].os).toBeUndefined();
      expect(cap.interfaces).toEqual([
        { linkType: 1, snapLength: 262144, tsResolution: 1e9, fcsLength: 0, name: 'veth0', description: 'lab link', container: 'pcapng' },
        { linkType: 101, snapLength: 100, tsResolution: 1e9, fcsLength: 0, name: 'tun0', container: 'pcapng' },
      ]);
      expect(cap.secrets).toEqual([
        { type: 0x544c534b, data: new TextEncoder().encode(KEYLOG) },
        { type: 0x57474b4c, data: Uint8Array.of(1, 2, 3) },
      ]);
      const ps = packets(4);
      expect(cap.packets.map((p) => [p.interfaceId, p.tsSec, p.tsNsec, p.origLength, p.comments])).toEqual([
        [0, ps[0].tsSec, ps[0].tsNsec, 60, ['ClientHello', 'second comment']],
        [1, ps[1].tsSec, ps[1].tsNsec, 61, []],
        [0, ps[2].tsSec, ps[2].tsNsec, 62, []],
        [1, ps[3].tsSec, ps[3].tsNsec, 9000, []],
      ]);
      expect(cap.packets.map((p) => p.data)).toEqual(ps.map((p) => p.data));
      expect(cap.warnings).toEqual([]);
    });
  }

  it('is deterministic: same input, same bytes', () => {
    expect(Buffer.from(sample().toBytes()).equals(Buffer.from(sample().toBytes()))).toBe(true);
  });

  it('refuses a packet on an undeclared interface', () => {
    const w = new PcapngWriter();
    expect(() => w.write({ tsSec: 1, tsNsec: 0, data: frame() })).toThrow(/interfaceId 0 is not a declared interface/);
  });
});

describe('writing to files', () => {
  it('writes the same bytes as in memory and closes the file', async () => {
    const before = await fileHandles();
    const ngPath = join(dir, 'w.pcapng');
    const f = PcapngWriter.toFile(ngPath, { interfaces: [{ linkType: 1, name: 'veth0' }] });
    const m = new PcapngWriter({ interfaces: [{ linkType: 1, name: 'veth0' }] });
    for (const w of [f, m]) {
      w.writeTlsKeyLog(KEYLOG);
      for (const p of packets(50)) w.write({ ...p, comments: ['c'] });
    }
    expect(() => f.toBytes()).toThrow(/in-memory/);
    await f.close();
    await f.close(); // idempotent
    expect(Buffer.from(readFileSync(ngPath)).equals(Buffer.from(m.toBytes()))).toBe(true);

    const pPath = join(dir, 'w.pcap');
    const pf = PcapWriter.toFile(pPath, { linkType: 1, precision: 'nsec' });
    const pm = new PcapWriter({ linkType: 1, precision: 'nsec' });
    for (const w of [pf, pm]) for (const p of packets(50)) w.write(p);
    await pf.drained();
    await pf.close();
    expect(Buffer.from(readFileSync(pPath)).equals(Buffer.from(pm.toBytes()))).toBe(true);
    expect(await fileHandles()).toBe(before);

    const cap = await openCapture(ngPath);
    expect(cap.secrets).toHaveLength(1); // leading secrets are known before the first packet
    let n = 0;
    for await (const p of cap.packets()) n += p.comments.length;
    expect(n).toBe(50);
    expect(await fileHandles()).toBe(before);
  });

  it('reports a file that cannot be created on close, and refuses writes after close', async () => {
    const w = PcapWriter.toFile(join(dir, 'no-such-dir', 'x.pcap'), { linkType: 1 });
    await expect(w.close()).rejects.toThrow(/ENOENT/);
    const ok = PcapWriter.toFile(join(dir, 'closed.pcap'), { linkType: 1 });
    await ok.close();
    expect(() => ok.write({ tsSec: 1, tsNsec: 0, data: frame() })).toThrow(/after close/);
  });
});

describe('link types', () => {
  it('names the common link types and says "unknown link type N" for others', () => {
    expect([0, 1, 101, 113, 276, 228, 229].map(linkTypeName)).toEqual(['NULL', 'ETHERNET', 'RAW', 'LINUX_SLL', 'LINUX_SLL2', 'IPV4', 'IPV6']);
    expect(linkTypeName(12)).toBe('RAW');
    expect(canonicalLinkType(12)).toBe(101);
    expect(linkTypeName(65000)).toBe('unknown link type 65000');
  });

  it('reads a capture with an unknown link type', () => {
    const w = new PcapWriter({ linkType: 65000 });
    w.write({ tsSec: 1, tsNsec: 0, data: frame() });
    const cap = parseCapture(w.toBytes());
    expect(cap.packets).toHaveLength(1);
    expect(linkTypeName(cap.interfaces[0].linkType)).toBe('unknown link type 65000');
  });
});

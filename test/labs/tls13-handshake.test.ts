// The tls13-handshake lab: a --check run through the runner passes and writes the capture, its copy
// without keys and the SSLKEYLOGFILE, which tshark reads as the lab says (decrypted with no options,
// nothing but the hellos without the key log); a capture that lost its keys makes checkpoints fail; a
// fixture run writes nothing; the CLI's last line; and the record reader on bad bytes.

import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/tls13-handshake.ts';
import { splitRecords, tcpStreams } from '../../labs/tls/records.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { labHarness, tsharkRows, labCli } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const { temp, run } = labHarness('tls13-lab');
const tshark = tsharkRows;

describe('lab tls13-handshake, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint and prints the final count', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(requireTool('tshark') ? 55 : 30);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes the capture, its copy without keys and the key log file', () => {
    expect(readdirSync(join(r.out, 'tls13-handshake')).sort()).toEqual(['tls13-handshake-no-keys.pcapng', 'tls13-handshake.keys', 'tls13-handshake.pcapng']);
    const keys = readFileSync(join(r.out, 'tls13-handshake', 'tls13-handshake.keys'), 'latin1')
      .trim()
      .split('\n');
    expect(keys.map((l) => l.split(' ')[0]).sort()).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'EXPORTER_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
  });

  it.skipIf(!requireTool('tshark'))('every filter printed beside a capture selects frames in tshark (netlab checks only the tcp.* ones for now)', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.length).toBeGreaterThan(0);
    for (const c of captures) {
      for (const f of c.filters) expect(tshark(c.absolutePath, f.filter, ['frame.number']).length, `${f.filter} on ${c.path}`).toBeGreaterThan(0);
    }
  });

  describe.skipIf(!requireTool('tshark'))('tshark reads the files as the lab says', () => {
    it('with the key log in the file: the HTTP request, with no -o option', () => {
      const cap = join(r.out, 'tls13-handshake', 'tls13-handshake.pcapng');
      expect(tshark(cap, 'http.request', ['http.request.method', 'http.host'])).toEqual([['GET', 'domain.netlab.test']]);
      expect(tshark(cap, 'tls.handshake.type == 8', ['tls.handshake.extensions_alpn_str'])).toEqual([['http/1.1']]);
      expect(tshark(cap, '_ws.malformed || tcp.analysis.flags', ['frame.number'])).toEqual([]);
    });

    it('without it: no EncryptedExtensions, no HTTP; with the SSLKEYLOGFILE beside it, both again', () => {
      const bare = join(r.out, 'tls13-handshake', 'tls13-handshake-no-keys.pcapng');
      expect(tshark(bare, 'tls.handshake.type == 8 || http', ['frame.number'])).toEqual([]);
      expect(tshark(bare, 'tls.handshake', ['tls.handshake.type'])).toEqual([['1'], ['2']]);
      const keys = join(r.out, 'tls13-handshake', 'tls13-handshake.keys');
      const out = execFileSync('tshark', ['-n', '-r', bare, '-o', `tls.keylog_file:${keys}`, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.trim()).toBe('/');
    });
  });
});

describe('lab tls13-handshake, a checkpoint that fails', () => {
  it("a capture whose key log was lost fails the key log checkpoint (and tshark's reading)", async () => {
    // A step that replaces the capture with its copy without keys, as if the DSB had been stripped.
    const strip: Step<unknown> = {
      title: 'lose the key log',
      explain: '',
      run(ctx) {
        const state = ctx.state as { run?: { capture: string; bare: string } };
        if (state.run === undefined) throw new Error('no capture');
        copyFileSync(state.run.bare, state.run.capture);
      },
    };
    const broken: AnyLab = { ...lab, steps: [...lab.steps.slice(0, 2), strip, ...lab.steps.slice(2)] };
    const r = await run(broken);
    expect(r.summary.failed).toBeGreaterThanOrEqual(1);
    expect(r.text.replace(/\s+/g, ' ')).toMatch(
      /FAIL netlab: the capture carries the key log, the same lines the sockets logged: 0 lines in the file's Decryption Secrets Block, 5 logged, different/,
    );
    if (requireTool('tshark')) expect(r.text.replace(/\s+/g, ' ')).toMatch(/FAIL tshark: the frame's protocols, outermost first: eth:ethertype:ip:tcp:tls/);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, ${r.summary.failed} failed$`, 'm'));
  }, 60_000);
});

describe('lab tls13-handshake, deterministic (fixtures)', () => {
  it('runs every checkpoint and writes nothing into the fixtures folder (TLS bytes differ on every run)', async () => {
    const r = await run(lab, { deterministic: true });
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(30);
    expect(readdirSync(r.out)).toEqual([]);
  }, 60_000);
});

describe('the TLS record reader', () => {
  it('cuts a stream at the record headers and marks a record cut short', () => {
    const hello = Buffer.from([22, 3, 1, 0, 4, 1, 0, 0, 0]);
    const app = Buffer.from([23, 3, 3, 0, 2, 0xaa, 0xbb]);
    const { records, truncated } = splitRecords(Buffer.concat([hello, app, Buffer.from([23, 3, 3, 0, 9, 1])]), 'client');
    expect(records.map((x) => [x.contentType, x.version, x.length, x.handshakeType])).toEqual([
      [22, 0x0301, 4, 1],
      [23, 0x0303, 2, undefined],
    ]);
    expect(truncated).toBe(true);
  });

  it('never throws and never reads past the bytes, whatever they are', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const { records } = splitRecords(bytes, 'server');
        const total = records.reduce((n, x) => n + x.bytes.length, 0);
        expect(total).toBeLessThanOrEqual(bytes.length);
        const streams = tcpStreams([{ data: bytes }]);
        expect(streams.client.length + streams.server.length).toBeLessThanOrEqual(bytes.length);
      }),
    );
  });
});

describe('netlab lab run tls13-handshake --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('tls13-handshake', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 60_000);
});

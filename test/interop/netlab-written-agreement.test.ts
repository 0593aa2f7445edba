// netlab decode vs tshark on captures netlab itself writes: a zoo of crafted frames (every codec, the
// traps, checksums wrong on purpose), the same with FCS, and a socket-tap capture of real TCP and UDP
// exchanges on loopback. Every field must print what tshark prints; tshark must find no malformed
// packet, and checksum errors exactly on the frames made wrong on purpose. Prints the per-field
// agreement.

import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture, type FieldAgreement } from './agreement.ts';
import { KNOWN_DIVERGENCES } from './known-divergences.ts';
import { zooFrames, zooFramesWithFcs } from './zoo.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-agree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function unexplained(file: string, result: readonly FieldAgreement[]): string[] {
  return result
    .filter((a) => a.agree !== a.frames && !KNOWN_DIVERGENCES[`${file}:${a.field}`] && !KNOWN_DIVERGENCES[`*:${a.field}`])
    .map((a) => `${a.field} ${a.agree}/${a.frames} e.g. ${JSON.stringify(a.examples[0])}`);
}

function report(file: string, result: readonly FieldAgreement[]): void {
  const full = result.filter((a) => a.agree === a.frames).length;
  const agree = result.reduce((n, a) => n + a.agree, 0);
  const total = result.reduce((n, a) => n + a.frames, 0);
  console.log(`${file}: ${full}/${result.length} fields agree on every frame, ${agree}/${total} field-frames`);
}

const CHECKSUMS_ON = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

/** Frame numbers (1-based) tshark flags with a checksum expert info, and the malformed count. */
function tsharkProblems(path: string): { checksum: number[]; malformed: number } {
  const fields = (filter: string): number[] =>
    execFileSync('tshark', ['-n', '-r', path, ...CHECKSUMS_ON, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  return { checksum: fields('_ws.expert.group == 0x01000000'), malformed: fields('_ws.malformed').length };
}

async function tapCapture(path: string): Promise<void> {
  const tap = new TapRecorder({ path });
  const server = createServer((s) => {
    tap.tcp(s);
    s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
    s.on('end', () => s.end());
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  const c = connect({ host: '127.0.0.1', port });
  await new Promise<void>((res, rej) => c.once('connect', res).once('error', rej));
  const got = new Promise<void>((res) => c.on('data', () => res()));
  c.write('GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n');
  await got;
  await new Promise<void>((res) => {
    c.once('close', () => res());
    c.end();
  });
  await new Promise<void>((res) => server.close(() => res()));
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  await new Promise<void>((res) => a.bind(0, '127.0.0.1', res));
  await new Promise<void>((res) => b.bind(0, '127.0.0.1', res));
  tap.udp(a);
  tap.udp(b);
  const received = new Promise<void>((res) => b.once('message', () => res()));
  a.send('Hola', (b.address() as AddressInfo).port, '127.0.0.1');
  await received;
  await new Promise<void>((res) => a.close(() => res()));
  await new Promise<void>((res) => b.close(() => res()));
  await tap.close();
}

describe.skipIf(!requireTool('tshark'))('field agreement with tshark on captures netlab writes', () => {
  it('crafted frames: every codec, good and bad checksums', async () => {
    const path = join(dir, 'zoo.pcapng');
    const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'zoo' }] });
    const zoo = zooFrames();
    zoo.forEach((z, i) => w.write({ tsSec: 1_700_000_000 + i, tsNsec: 0, data: z.frame, comments: [z.about] }));
    await w.close();
    const result = await compareCapture(path);
    report('zoo.pcapng', result);
    expect(result.length).toBeGreaterThan(150);
    expect(unexplained('zoo.pcapng', result)).toEqual([]);
    const problems = tsharkProblems(path);
    expect(problems.malformed).toBe(0);
    const onPurpose = zoo.flatMap((z, i) => (/bad/i.test(z.about) ? [i + 1] : []));
    expect(problems.checksum).toEqual(onPurpose);
  });

  it('frames with an FCS (if_fcslen 4)', async () => {
    const path = join(dir, 'fcs.pcapng');
    const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'fcs', fcsLength: 4 }] });
    const frames = zooFramesWithFcs();
    frames.forEach((z, i) => w.write({ tsSec: 1_700_000_000 + i, tsNsec: 0, data: z.frame }));
    await w.close();
    const result = await compareCapture(path);
    report('fcs.pcapng', result);
    expect(result.map((a) => a.field)).toContain('eth.fcs.status');
    expect(unexplained('fcs.pcapng', result)).toEqual([]);
  });

  it('a socket-tap capture of real TCP and UDP on loopback', async () => {
    const path = join(dir, 'tap.pcapng');
    await tapCapture(path);
    const result = await compareCapture(path);
    report('tap.pcapng', result);
    expect(result.map((a) => a.field)).toEqual(expect.arrayContaining(['tcp.seq', 'tcp.ack', 'tcp.stream', 'udp.length']));
    expect(unexplained('tap.pcapng', result)).toEqual([]);
    const problems = tsharkProblems(path);
    expect(problems).toEqual({ checksum: [], malformed: 0 });
  });
});

// `-o eth.check_fcs:TRUE`: a frame whose Ethernet FCS is wrong ends its summary line with tshark's
// " [ETHERNET FRAME CHECK SEQUENCE INCORRECT]", whatever it carries (UDP, TCP, DNS, ARP with padding,
// an 802.1Q tag); a good FCS, or the preference off, adds nothing. Compared line for line with tshark.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/read.ts';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { DissectState, parsePrefs } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { arp, encode, ethernet, ipv4, payload, tcp, udp, vlan } from '../../src/wire/index.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-fcs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const eth = (): ReturnType<typeof ethernet> => ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', fcs: true });
/** The frame with one bit of its FCS flipped. */
const badFcs = (f: Uint8Array): Uint8Array => {
  const b = Uint8Array.from(f);
  b[b.length - 1] ^= 1;
  return b;
};

async function capture(): Promise<string> {
  const udpFrame = encode([eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1234, dport: 9999 }), payload('hola')]);
  const frames = [
    udpFrame,
    badFcs(udpFrame),
    badFcs(encode([eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 1234, dport: 80, flags: 'S', seq: 1 })])),
    badFcs(
      encode([
        eth(),
        ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
        udp({ sport: 1234, dport: 53 }),
        payload(Uint8Array.of(0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0, 1, 0, 1)),
      ]),
    ),
    badFcs(encode([eth(), arp({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' })])),
    badFcs(encode([eth(), vlan({ id: 10 }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload('x')])),
  ];
  const path = join(dir, 'fcs.pcapng');
  const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'fcs', fcsLength: 4 }] });
  frames.forEach((data, i) => w.write({ tsSec: 1_700_000_000, tsNsec: i * 1000, data }));
  await w.close();
  return path;
}

async function ours(path: string, prefs: string[]): Promise<string[]> {
  const cap = await openCapture(path);
  const state = new DissectState(parsePrefs(prefs));
  const out: string[] = [];
  try {
    for await (const p of cap.packets()) out.push(summaryLine(dissect(p, state)).trimEnd());
  } finally {
    await cap.close();
  }
  return out;
}

describe('bad Ethernet FCS in the summary line', () => {
  it('is noted only with eth.check_fcs on, and only on frames whose FCS is wrong', async () => {
    const path = await capture();
    const on = await ours(path, ['eth.check_fcs:TRUE']);
    expect(on.map((l) => l.endsWith(' [ETHERNET FRAME CHECK SEQUENCE INCORRECT]'))).toEqual([false, true, true, true, true, true]);
    expect((await ours(path, [])).some((l) => l.includes('INCORRECT'))).toBe(false);
  });

  it.skipIf(!requireTool('tshark'))("matches tshark's summary lines, with the preference on and off", async () => {
    const path = await capture();
    for (const prefs of [['eth.check_fcs:TRUE'], []]) {
      const { stdout } = await run('tshark', ['-r', path, ...prefs.flatMap((p) => ['-o', p])]);
      expect(await ours(path, prefs)).toEqual(
        stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.trimEnd()),
      );
    }
  });
});

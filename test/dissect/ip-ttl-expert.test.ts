// IPv4's `"Time To Live" only N` note (ip.ttl.too_small) beside tshark 4.0: a TTL under 5 to a
// unicast or broadcast address gets it, also in the datagram an ICMP error quotes (so it comes before
// UDP's traceroute note); multicast destinations, PIM (103) and OSPF (89) do not.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { encode, ethernet, ipv4, payload } from '../../src/wire/index.ts';
import { capturePath } from '../helpers/captures.ts';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture, dissectAll } from '../interop/agreement.ts';
import { writeFrames } from './tls-capture.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-ttl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EXPERT = ['_ws.expert.message', '_ws.expert.severity', '_ws.expert.group'];
const body = new TextEncoder().encode('twelve bytes');

const frame = (dst: string, ttl: number, protocol: number): Uint8Array =>
  encode([ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }), ipv4({ src: '10.0.0.1', dst, ttl, protocol }), payload(body)]);

const FRAMES = [frame('10.0.0.2', 2, 253), frame('10.0.0.2', 4, 89), frame('10.0.0.2', 1, 103), frame('239.1.2.3', 1, 253), frame('10.0.0.2', 5, 253)];

describe('the low-TTL note (netlab alone)', () => {
  it('is added for a unicast TTL under 5, not for OSPF, PIM, multicast or TTL 5', async () => {
    const path = join(dir, 'ttl.pcapng');
    await writeFrames(path, FRAMES);
    const ds = await dissectAll(path);
    expect(ds.map((d) => fieldText(d, '_ws.expert.message'))).toEqual(['"Time To Live" only 2', '', '', '', '']);
    expect(fieldText(ds[0], '_ws.expert.severity')).toBe('4194304');
  });
});

describe.skipIf(!requireTool('tshark'))('the low-TTL note beside tshark', () => {
  it('agrees on every expert item of the shared ICMP capture (quoted datagrams included)', async () => {
    const result = await compareCapture(capturePath('icmp-many-types-pcapplusplus.pcapng'), EXPERT);
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
  });

  it('agrees on the crafted frames (but OSPF, whose 12 bytes tshark finds malformed)', async () => {
    const path = join(dir, 'ttl-tshark.pcapng');
    await writeFrames(
      path,
      FRAMES.filter((_, i) => i !== 1),
    );
    const result = await compareCapture(path, EXPERT);
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
  });
});

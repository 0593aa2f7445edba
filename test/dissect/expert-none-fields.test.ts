// An expert item's own field (tcp.analysis.retransmission, tcp.connection.fin, ...) is FT_NONE:
// tshark -T fields prints "1" for each occurrence, and so must netlab (it printed nothing); the
// expert item itself (_ws.expert) prints as its text, "Expert Info (Note/Sequence): ..." (netlab
// printed an empty value).

import { describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { capturePath } from '../helpers/captures.ts';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture, dissectAll } from '../interop/agreement.ts';

const FILE = 'tcp-handshake-options-http-zeek.pcap';
const EXPERTS = ['tcp.analysis.retransmission', 'tcp.connection.syn', 'tcp.connection.synack', 'tcp.connection.fin', 'tcp.analysis.flags', '_ws.expert'];

describe('expert items in -T fields', () => {
  it('print "1" for each occurrence (netlab alone)', async () => {
    const ds = await dissectAll(capturePath(FILE));
    const retransmitted = ds.filter((d) => fieldText(d, 'tcp.analysis.retransmission') !== '');
    expect(retransmitted.length).toBeGreaterThan(0);
    for (const d of retransmitted) expect(fieldText(d, 'tcp.analysis.retransmission')).toBe('1');
  });

  it.skipIf(!requireTool('tshark'))('agree with tshark on every frame', async () => {
    const result = await compareCapture(capturePath(FILE), EXPERTS);
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    expect(result.find((a) => a.field === 'tcp.connection.fin')?.frames).toBeGreaterThan(0);
  });
});

// A retransmitted segment whose checksum is bad (every loopback capture: the kernel leaves the
// checksum to the NIC) is not handed to the application dissector: tshark, checksums checked, shows
// it as plain TCP (frame.protocols eth:ethertype:ip:tcp, no tcp.segment_data), as seen on a capture
// of wrk talking TLS to nginx on lo (`npm run bench`).

import { describe, expect, it } from 'vitest';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { clientHelloRecord, CONTENT_TYPE, encodeRecord, tlsExt } from '../../src/wire/tls.ts';
import { packet } from './hand-made.ts';
import { Conversation, pseudoBytes } from './tls-capture.ts';

describe('a retransmission with a bad checksum', () => {
  it('stays TCP: no TLS, no data, no segment data; the first copy is TLS', () => {
    const out: Uint8Array[] = [];
    const conv = new Conversation(out, 50123, 443);
    conv.send(
      'c',
      clientHelloRecord({
        random: pseudoBytes(32, 1),
        cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
        extensions: [tlsExt.serverName('example.test')],
      }),
    );
    const appData = encodeRecord({ contentType: CONTENT_TYPE.applicationData, version: 0x0303, fragment: pseudoBytes(40, 2) });
    const seq = conv.clientSeq;
    conv.frame('c', 'PA', appData, { checksum: 0x1234 });
    conv.frame('c', 'PA', appData, { seq, checksum: 0x1234 });
    const state = new DissectState();
    const ds = out.map((data, i) => dissect(packet(data, { number: i + 1, tsNsec: 1000 * i }), state));
    const [first, again] = ds.slice(-2);
    expect(fieldText(first, 'frame.protocols')).toBe('eth:ethertype:ip:tcp:tls');
    expect(summaryLine(first)).toContain('TLSv1.2');
    expect(fieldText(again, 'frame.protocols')).toBe('eth:ethertype:ip:tcp');
    expect(fieldText(again, 'tcp.segment_data')).toBe('');
    expect(fieldText(again, 'tcp.payload')).not.toBe('');
    expect(summaryLine(again)).toMatch(/ TCP \d+ \[TCP Retransmission\] 50123 → 443 \[PSH, ACK\] .*\[TCP CHECKSUM INCORRECT\] Len=45$/);
  });
});

// `netlab decode -V` and `-T json` beside tshark 4.0, byte for byte, on the shared captures whose
// DNSSEC/TSIG records, EDNS options, DNS-over-TCP PDU sizes, DHCP options, IGMP queries and PPPoE Discovery once
// differed. `npm run agreement:outputs` measures every shared capture; this keeps these identical.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPTURES } from '../helpers/captures.ts';
import { requireTool } from '../helpers/tools.ts';
import { jsonIdentical, verboseDiffs } from './agreement.ts';

const FILES = [
  'dhcp-dora-user-class-tcpdump.pcap',
  'dhcp-offer-pcapplusplus.pcap',
  'dns-edns-ecs-tc-tcp-retry-zeek.pcap',
  'dns-over-tcp-tcpdump.pcap',
  'malformed-dns-edns-bad-length-zeek.pcap',
  'ipv4-options-pcapplusplus.pcap',
  'eth-trailer-padding-pcapplusplus.pcap',
];

describe.skipIf(!requireTool('tshark'))('-V and -T json identical to tshark', () => {
  for (const file of FILES) {
    it(file, async () => {
      const path = join(CAPTURES, file);
      expect(await verboseDiffs(path)).toEqual([]);
      expect(await jsonIdentical(path)).toEqual({ same: true });
    });
  }
});

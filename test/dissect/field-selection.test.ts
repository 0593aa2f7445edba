// `netlab decode` builds only the fields its output reads (FieldSelection): the summary line and
// every selected field must be what the whole tree gives, on every shared capture, frame by frame.
// The names below reach each subtree a mapper leaves out when nobody reads it.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/read.ts';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState, FieldSelection } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldShows } from '../../src/dissect/fields-output.ts';
import { findFields } from '../../src/dissect/lookup.ts';
import { summaryLine } from '../../src/dissect/summary.ts';

const DIR = join(import.meta.dirname, '..', 'captures');

/** One name per subtree a mapper can skip, and a few it never skips. */
const NAMES = [
  'frame.time_delta_displayed',
  'frame.protocols',
  'frame.len',
  'frame.interface_name',
  'eth.src',
  'eth.addr',
  'eth.ig',
  'eth.type',
  'ip.src',
  'ip.addr',
  'ip.dst_host',
  'ip.ttl',
  'ip.dsfield.ecn',
  'ip.flags.df',
  'ip.checksum.status',
  'tcp.srcport',
  'tcp.seq',
  'tcp.ack_raw',
  'tcp.flags.syn',
  'tcp.connection.syn',
  'tcp.checksum.status',
  'tcp.options.mss_val',
  'tcp.option_kind',
  'tcp.window_size_scalefactor',
  'tcp.time_relative',
  'tcp.payload',
  'tcp.segment_data',
  'tcp.reassembled.length',
  'tcp.completeness',
  'tcp.nxtseq',
  'http.request.method',
  'http.response.code',
  'http.request.line',
  'tls.handshake.type',
  'tls.app_data',
  'dns.qry.name',
];

async function packetsOf(file: string): Promise<CapturedPacket[]> {
  const out: CapturedPacket[] = [];
  try {
    for await (const p of readCapture(join(DIR, file))) out.push(p);
  } catch {
    // A damaged capture: the packets before the damage are enough here.
  }
  return out;
}

const CAPTURES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f));

describe('a reduced tree gives what the whole tree gives', () => {
  it('has captures to check', () => {
    expect(CAPTURES.length).toBeGreaterThan(40);
  });

  it.each(CAPTURES)('%s: summary lines and every selected field', async (file) => {
    const packets = await packetsOf(file);
    const full = new DissectState();
    const whole = packets.map((p) => dissect(p, full));
    // The summary: no fields selected at all.
    const bare = new DissectState(undefined, new FieldSelection([]));
    packets.forEach((p, i) => expect(summaryLine(dissect(p, bare)), `${file} frame ${i + 1}`).toBe(summaryLine(whole[i])));
    // Each name alone (a state per selection: dissecting moves the state on).
    for (const name of NAMES) {
      const present = whole.some((d) => findFields(d, name).length > 0);
      if (!present) continue;
      const state = new DissectState(undefined, new FieldSelection([name]));
      packets.forEach((p, i) => {
        const d = dissect(p, state);
        expect(fieldShows(d, name), `${file} frame ${i + 1} ${name}`).toEqual(fieldShows(whole[i], name));
        expect(summaryLine(d)).toBe(summaryLine(whole[i]));
      });
    }
  });

  it('builds less: no TCP flags, options or payload when nothing reads them', async () => {
    const packets = await packetsOf('tcp-handshake-options-http-zeek.pcap');
    const state = new DissectState(undefined, new FieldSelection(['ip.src']));
    const ds = packets.map((p) => dissect(p, state));
    for (const name of ['tcp.flags', 'tcp.options', 'tcp.payload', 'frame.time_epoch']) {
      expect(ds.every((d) => findFields(d, name).length === 0)).toBe(true);
    }
    expect(ds.every((d) => findFields(d, 'ip.src').length === 1)).toBe(true);
  });

  it('an expert-info name selects the whole tree', () => {
    const sel = new FieldSelection(['_ws.expert.message']);
    expect(sel.wants('tcp.flags')).toBe(true);
    expect(new FieldSelection(['tcp.flags.syn']).wants('tcp.flags')).toBe(true);
    expect(new FieldSelection(['tcp.flags.syn']).wants('tcp.option')).toBe(false);
  });
});

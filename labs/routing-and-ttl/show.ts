// What the routing-and-ttl lab prints about its nodes and frames: the tables as the Linux commands
// print them (`route -n`, `arp -n`) with the node's name as the prompt, and one row per hop.

import type { Host } from '../../src/netsim/index.ts';
import type { Cell } from '../../src/lab/index.ts';
import type { FrameView } from '../netsim/frame-view.ts';

/** `h1$ route -n` and the table. */
export function routeText(h: Host): string {
  return `${h.name}$ route -n\n${h.routeTable()}`;
}

/** `h1$ arp -n` and the table (all interfaces), `(no entries)` when empty. */
export function arpText(h: Host, note = ''): string {
  const table = h.arpTable();
  const empty = table.split('\n').length === 1;
  return `${h.name}$ arp -n${note === '' ? '' : `   (${note})`}\n${table}${empty ? '\n(no entries)' : ''}`;
}

export const HOP_HEAD = ['link', 'MAC source -> destination', 'IP source -> destination', 'TTL', 'IPv4 checksum'] as const;

/** One row per frame: the link, the MACs, the IPs, the TTL and the header checksum. */
export function hopRows(frames: readonly FrameView[]): Cell[][] {
  return frames.map((v) => [
    v.link,
    `${v.ethSrc} -> ${v.ethDst}`,
    v.ip === undefined ? '' : `${v.ip.src} -> ${v.ip.dst}`,
    v.ip?.ttl,
    v.ip === undefined ? '' : `0x${v.ip.checksum.toString(16).padStart(4, '0')} (${v.ip.checksumStatus})`,
  ]);
}

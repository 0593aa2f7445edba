// The sequence diagram of a capture: one column per host (network address) or per endpoint
// (address:port), one arrow per frame from its source column to its destination column, time down
// the page, each arrow labelled with a short summary of the frame ("SYN", "GET /", "200 OK").
//
// The arrows follow the packet list exactly (same filter, same order, same index), so the page
// selects arrow i and list row i as one. The columns are those of every row the filter keeps (so
// they do not move while scrolling), computed once per filter; the arrows are sent a window at a time.

import type { CaptureModel } from './capture-model.ts';
import type { FlowIndex } from './streams.ts';
import { endpointText } from './streams.ts';
import type { ListRow, SequenceArrow, SequenceJson } from './types.ts';

/** Longest label drawn on an arrow (longer ones end with an ellipsis; the frame's line is its title). */
export const LABEL_MAX = 44;
/** Column lists kept (the last few filters and modes). */
const HOSTS_CACHE = 4;

function cut(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= LABEL_MAX ? t : `${t.slice(0, LABEL_MAX - 1)}\u2026`;
}

/**
 * The short summary of a frame from its Info column: TCP's flags (and the length of its payload,
 * with an analysis note such as "Retransmission" in front), an HTTP request's method and target,
 * an HTTP response's status; any other protocol's Info, cut to LABEL_MAX.
 */
export function shortLabel(row: Pick<ListRow, 'protocol' | 'info'>): string {
  const info = row.info.trim();
  // A segment of a PDU reassembled later: what its head says, marked as a segment.
  const segment = /^(.*?)\s*\[TCP segment of a reassembled PDU\]$/.exec(info);
  if (segment && segment[1] !== '') {
    const head = /^HTTP\/\d/.test(segment[1]) ? shortLabel({ protocol: 'HTTP', info: segment[1] }) : shortLabel({ protocol: 'TCP', info: segment[1] });
    return cut(`${head} [segment]`);
  }
  if (row.protocol === 'HTTP') {
    const response = /^HTTP\/\d(?:\.\d)? (\d{3}(?: [^(]*)?)/.exec(info);
    if (response) return cut(response[1]);
    const request = /^([A-Z]+) (\S+) HTTP\/\d(?:\.\d)?/.exec(info);
    if (request) return cut(`${request[1]} ${request[2]}`);
  }
  if (row.protocol === 'TCP') {
    const m = /^((?:\[[^\]]*\] )*)\d+ \u2192 \d+ \[([^\]]*)\](.*)$/.exec(info);
    if (m) {
      const notes = [...m[1].matchAll(/\[TCP ([^\]]*)\]/g)].map((n) => n[1]);
      const len = /\bLen=(\d+)/.exec(m[3]);
      let label = m[2];
      if (len && len[1] !== '0') label += ` Len=${len[1]}`;
      if (notes.length > 0) label = `${notes.join(', ')}: ${label}`;
      return cut(label);
    }
  }
  return cut(info === '' ? row.protocol : info);
}

interface Columns {
  hosts: string[];
  /** Column of each frame's source and destination, by row index among the filtered rows. */
  from: Int32Array;
  to: Int32Array;
}

/** The sequence diagram of a CaptureModel, windowed. */
export class SequenceModel {
  private readonly cache = new Map<string, Columns>();

  constructor(
    private readonly model: CaptureModel,
    private readonly flows: FlowIndex,
  ) {}

  private endpoints(row: ListRow, by: SequenceJson['by']): [string, string] {
    if (by === 'hosts') return [row.src, row.dst];
    const f = this.flows.frame(row.no);
    if (f === undefined || f.srcPort < 0) return [row.src, row.dst];
    return [endpointText(row.src, f.srcPort), endpointText(row.dst, f.dstPort)];
  }

  /** The columns of every row the filter keeps (throws ViewFilterError for a filter that does not compile). */
  private columns(filter: string, by: SequenceJson['by']): Columns {
    const key = `${this.model.frames}\u0000${by}\u0000${filter}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const first = this.model.list(0, 1, filter);
    const total = first.total;
    const hosts: string[] = [];
    const place = new Map<string, number>();
    const col = (h: string): number => {
      let c = place.get(h);
      if (c === undefined) {
        c = hosts.length;
        hosts.push(h);
        place.set(h, c);
      }
      return c;
    };
    const from = new Int32Array(total);
    const to = new Int32Array(total);
    const STEP = 1000;
    for (let offset = 0; offset < total; offset += STEP) {
      const page = this.model.list(offset, STEP, filter);
      page.rows.forEach((row, k) => {
        const [s, d] = this.endpoints(row, by);
        from[offset + k] = col(s);
        to[offset + k] = col(d);
      });
    }
    const result = { hosts, from, to };
    this.cache.set(key, result);
    if (this.cache.size > HOSTS_CACHE) this.cache.delete(this.cache.keys().next().value as string);
    return result;
  }

  /** Arrows offset..offset+limit-1 of the diagram for the filter (the list's rows, same indexes). */
  window(offset: number, limit: number, filter: string, by: SequenceJson['by']): SequenceJson {
    // Ports come from the flow index (one more pass over the capture): only endpoints need them.
    if (by === 'endpoints') this.flows.update(this.model.packetsRead);
    const text = filter.trim();
    const cols = this.columns(text, by);
    const page = this.model.list(offset, limit, text);
    const arrows = page.rows.map((row, k): SequenceArrow => {
      const index = offset + k;
      const a: SequenceArrow = {
        index,
        no: row.no,
        time: row.time,
        from: cols.from[index] ?? 0,
        to: cols.to[index] ?? 0,
        label: shortLabel(row),
        protocol: row.protocol,
      };
      if (row.bad) a.bad = true;
      return a;
    });
    return { filter: text, by, hosts: cols.hosts, total: Math.min(page.total, cols.from.length), loading: page.loading, offset, arrows };
  }
}

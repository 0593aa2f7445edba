// From packet descriptions to encoded packets with their times. One copy of the sequence is encoded
// (and checked) up front; the copies `--count` asks for are generated one at a time, so a million
// copies take no more memory than one.

import { encode, type LayerSpec } from '../../wire/index.ts';
import { CliError } from '../io.ts';
import { buildLayer, type LayerDesc, type PacketDesc, schemaOf } from './layers.ts';
import { LAYER_ALIASES } from './schema.ts';

/** Latest time a capture can hold in every format netlab writes (pcap's 32-bit seconds: 2106-02-07). */
export const MAX_TIME_SECONDS = 0xffffffff;
/** Largest --count (copies of the sequence); they are streamed, so this bounds the run time, not memory. */
export const MAX_COPIES = 100_000_000;
/** Largest --interval, in seconds (a year). */
export const MAX_INTERVAL_SECONDS = 31_536_000;

export interface CraftOptions {
  packets: PacketDesc[];
  /** Output file: .pcapng or .pcap (optionally .gz); none prints the packets instead. */
  write?: string;
  /** Copies of the whole sequence. */
  count?: number;
  /** Add an FCS to every Ethernet frame that does not set fcs itself. */
  fcs?: boolean;
  /** Time of the first packet, seconds since the epoch (default now). */
  time?: number;
  /** Seconds between packets (default 0.001). */
  interval?: number;
  color?: boolean;
}

export interface BuiltPacket {
  data: Uint8Array;
  linkType: number;
  fcsLength: number;
  tsSec: number;
  tsNsec: number;
  comment?: string;
}

/** What a craft will write: one encoded copy of the sequence and how to time every packet of every copy. */
export interface CraftPlan {
  /** The sequence, encoded once (times are those of the first copy). */
  readonly sequence: readonly BuiltPacket[];
  readonly copies: number;
  /** sequence.length × copies. */
  readonly total: number;
  /** Every packet of every copy in order, with its own time, made one at a time. */
  packets(): Generator<BuiltPacket, void, undefined>;
}

/** The pcap link type a packet's outermost layer needs. */
function linkTypeOf(layers: readonly LayerSpec[], where: string): number {
  const first = layers[0]?.kind;
  if (first === 'ethernet') return 1;
  if (first === 'ipv4' || first === 'ipv6') return 101;
  throw new CliError(`${where}: a packet must start with an Ethernet or an IP layer (it starts with ${first ?? 'nothing'})`, 1);
}

function checkTime(what: string, t: number): void {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > MAX_TIME_SECONDS) {
    throw new CliError(`${what} ${t}: a time is seconds since 1970 from 0 to ${MAX_TIME_SECONDS} (2106-02-07), the range a capture holds`, 1);
  }
}

/** Seconds (a float) as whole seconds and nanoseconds, exactly to the microsecond as pcap keeps it. */
function splitTime(t: number): { sec: number; nsec: number } {
  let sec = Math.floor(t);
  let usec = Math.round((t - sec) * 1e6);
  if (usec >= 1_000_000) {
    sec++;
    usec -= 1_000_000;
  }
  return { sec, nsec: usec * 1000 };
}

/** Encodes one copy of the sequence (every error surfaces here) and returns the plan for all copies. */
export function buildPackets(o: CraftOptions): CraftPlan {
  if (o.packets.length === 0) throw new CliError('nothing to craft: give layers (--eth ..., --ipv4 ..., --tcp ...) or --json FILE', 1);
  const copies = o.count ?? 1;
  if (!Number.isInteger(copies) || copies < 1 || copies > MAX_COPIES) throw new CliError(`--count ${o.count}: give a whole number of copies from 1 to ${MAX_COPIES}`, 1);
  const interval = o.interval ?? 0.001;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0 || interval > MAX_INTERVAL_SECONDS) {
    throw new CliError(`--interval ${interval}: give seconds between packets from 0 to ${MAX_INTERVAL_SECONDS}`, 1);
  }
  if (o.time !== undefined) checkTime('--time', o.time);
  let t = o.time ?? Date.now() / 1000;
  const sequence: BuiltPacket[] = [];
  o.packets.forEach((p, k) => {
    const where = o.packets.length > 1 ? `packet ${k + 1}` : 'packet';
    const descs: LayerDesc[] = p.layers.map((l) =>
      o.fcs && schemaOf(l.layer, where) !== 'payload' && LAYER_ALIASES[l.layer.toLowerCase()] === 'ethernet' && l.fcs === undefined ? { ...l, fcs: true } : l,
    );
    const specs = descs.map((l) => buildLayer(l, `${where}, ${l.layer}`));
    let data: Uint8Array;
    try {
      data = encode(specs);
    } catch (err) {
      throw new CliError(`${where}: ${(err as Error).message}`, 1);
    }
    const first = descs[0];
    const hasFcs = first !== undefined && LAYER_ALIASES[first.layer.toLowerCase()] === 'ethernet' && first.fcs !== undefined && first.fcs !== false && first.fcs !== 'false';
    if (p.time !== undefined) {
      checkTime(`${where} time`, p.time);
      t = p.time;
    } else if (t > MAX_TIME_SECONDS) {
      throw new CliError(`${where}: at ${Math.floor(t)} s it would be past ${MAX_TIME_SECONDS} (2106-02-07), the latest time a capture holds (check --time and --interval)`, 1);
    }
    const { sec, nsec } = splitTime(t);
    const built: BuiltPacket = { data, linkType: linkTypeOf(specs, where), fcsLength: hasFcs ? 4 : 0, tsSec: sec, tsNsec: nsec };
    if (p.comment !== undefined) built.comment = p.comment;
    sequence.push(built);
    t += interval;
  });
  // The copies after the first continue from where the first ended, `interval` apart.
  const intervalUs = Math.round(interval * 1e6);
  const next = splitTime(t);
  const lastSec = next.sec + (((copies - 1) * sequence.length - 1) * intervalUs) / 1e6;
  if (copies > 1 && lastSec > MAX_TIME_SECONDS) {
    throw new CliError(`--count ${copies} with --interval ${interval}: the last packet would be at ${Math.floor(lastSec)} s, past ${MAX_TIME_SECONDS} (2106-02-07), the latest time a capture holds`, 1);
  }
  const total = sequence.length * copies;
  return {
    sequence,
    copies,
    total,
    *packets() {
      yield* sequence;
      let sec = next.sec;
      let us = next.nsec / 1000;
      for (let c = 1; c < copies; c++) {
        for (const p of sequence) {
          yield { ...p, tsSec: sec, tsNsec: us * 1000 };
          us += intervalUs;
          if (us >= 1_000_000) {
            sec += Math.floor(us / 1_000_000);
            us %= 1_000_000;
          }
        }
      }
    },
  };
}

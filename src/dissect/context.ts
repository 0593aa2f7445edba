// What a protocol mapper sees while it turns a decoded layer into Wireshark-named fields.

import type { CapturedPacket } from '../capture/types.ts';
import type { DecodedLayer } from '../wire/layer.ts';
import type { ProtoNode } from './field.ts';
import { NetlabRangeError } from '../base/errors.ts';
import { isProtocolName } from './known-fields.ts';

/**
 * State that lives across the frames of one capture: conversation tables for tcp.stream and
 * relative sequence numbers, first/previous timestamps. Each protocol keeps its own slot.
 */
/** Wireshark preferences the dissector honours (tshark -o NAME:VALUE). */
export interface DissectPrefs {
  /** eth.check_fcs: verify a known Ethernet FCS (tshark 4.0: off by default). */
  readonly checkFcs: boolean;
}

export const DEFAULT_PREFS: DissectPrefs = { checkFcs: false };

/**
 * Parses tshark-style preferences. netlab always validates IP/TCP/UDP/ICMP checksums (the agreement
 * reference runs tshark with them on), so `*.check_checksum:TRUE` is accepted as is; eth.check_fcs
 * switches the FCS check. Anything else is refused with its name.
 */
export function parsePrefs(prefs: readonly string[]): DissectPrefs {
  let checkFcs = false;
  for (const p of prefs) {
    const m = /^([a-z0-9_.]+):(.*)$/i.exec(p);
    const name = m?.[1] ?? p;
    const value = (m?.[2] ?? '').toUpperCase();
    if (m === null || (value !== 'TRUE' && value !== 'FALSE')) throw new NetlabRangeError(`-o ${p}: expected NAME:TRUE or NAME:FALSE`);
    if (/^[a-z0-9_]+\.check_checksum$/i.test(name)) {
      if (value === 'FALSE') throw new NetlabRangeError(`-o ${p}: netlab always validates checksums; it cannot switch ${name} off`);
      continue;
    }
    if (name === 'eth.check_fcs') {
      checkFcs = value === 'TRUE';
      continue;
    }
    throw new NetlabRangeError(`-o ${p}: netlab knows only the checksum preferences (*.check_checksum) and eth.check_fcs`);
  }
  return { checkFcs };
}

/**
 * Which fields an output will read, so the mappers can leave out the rest of the tree (tshark builds a
 * reduced tree for `-T fields` the same way). The summary columns, the protocol nodes and the state
 * that spans frames are always built; a mapper asks `wants(prefix)` only before building fields that
 * nothing but a printed or filtered field name can reach.
 */
export class FieldSelection {
  private readonly names: readonly string[];
  /** An expert field (`_ws.expert*`) can sit under any field: asking for one builds the whole tree. */
  readonly all: boolean;
  private readonly cache = new Map<string, boolean>();

  /**
   * True when the output may read a protocol node's label or a field's `-V` text: a protocol named
   * as a field (`-e ip` prints the IPv4 tree's label) or an expert field (its text). Otherwise the
   * mappers may leave labels empty and field texts out: no output that reads them runs.
   */
  readonly labels: boolean;

  /** `names`: the field and protocol names the output prints and the display filter refers to. */
  constructor(names: readonly string[]) {
    this.names = [...new Set(names)];
    this.all = this.names.some((n) => n.startsWith('_ws.'));
    this.labels = this.all || this.names.some((n) => isProtocolName(n));
  }

  /** True when some selected name starts with `prefix` (`tcp.flags` for `tcp.flags.syn`). */
  wants(prefix: string): boolean {
    if (this.all) return true;
    if (this.names.length === 0) return false;
    let v = this.cache.get(prefix);
    if (v === undefined) {
      v = this.names.some((n) => n.startsWith(prefix));
      this.cache.set(prefix, v);
    }
    return v;
  }

  /** True when the output prints or the filter names exactly `name` (`-e tcp` prints the tree label). */
  has(name: string): boolean {
    return this.all || this.names.includes(name);
  }
}

export class DissectState {
  private readonly slots = new Map<string, unknown>();

  /**
   * `selection`: the fields the output needs (undefined: every field, the whole tree, as `-V`,
   * `-T json` and the library callers want).
   */
  constructor(
    readonly prefs: DissectPrefs = DEFAULT_PREFS,
    readonly selection?: FieldSelection,
  ) {
    this.labels = selection === undefined || selection.labels;
    this.tree = selection === undefined || selection.all;
  }

  /**
   * True when protocol labels and field texts (what `-V`, `-T json` and `-e PROTO` print) must be
   * built; false when the output reads only the columns and field values (see FieldSelection.labels).
   */
  readonly labels: boolean;

  /**
   * True when the output prints the tree (-V, -T json, -x, library callers): the labels and `-V`
   * texts of TCP, HTTP and TLS fields are made only then (the summary, -T fields and -Y read values
   * and columns; a protocol named by `-e` asks for its own label through wantsLabel).
   */
  readonly tree: boolean;

  /** True when `proto`'s tree label is read: a tree output, or `-e proto` / a filter naming it. */
  wantsLabel(proto: string): boolean {
    return this.selection === undefined || this.selection.has(proto);
  }

  /** True when the tree must hold the fields whose names start with `prefix` (see FieldSelection). */
  wants(prefix: string): boolean {
    return this.selection === undefined || this.selection.wants(prefix);
  }
  /** Returns the protocol's slot, creating it with `init` the first time. */
  slot<T>(key: string, init: () => T): T {
    let v = this.slots.get(key) as T | undefined;
    if (v === undefined) {
      v = init();
      this.slots.set(key, v);
    }
    return v;
  }
}

export interface DissectContext {
  frame: Uint8Array;
  packet: CapturedPacket;
  /** All decoded layers of the frame, and the index of the one being mapped. */
  layers: readonly DecodedLayer[];
  index: number;
  state: DissectState;
  /** True inside the datagram embedded in an ICMP/ICMPv6 error: columns are not overwritten there. */
  inIcmpError: boolean;
  /**
   * True when `frame` is a datagram reassembled from IP fragments (its own data source): lengths
   * come from those bytes, not from the completing fragment's IP header.
   */
  reassembled?: boolean;
}

/** Maps one decoded layer to one or more protocol nodes (eth may add the `ethertype` node). */
export type ProtocolMapper = (layer: DecodedLayer, ctx: DissectContext) => ProtoNode[];

// The layers of a craft: from command-line flags (`--eth k=v,... --ipv4 ... --payload TEXT`, in their
// order) or from a JSON description, each built with its wire builder; errors name the layer and key.

import { type LayerSpec, payload } from '../../wire/index.ts';
import { CliError } from '../io.ts';
import { LAYER_ALIASES, type LayerSchema, SCHEMAS } from './schema.ts';
import { hexBytes, readValue } from './values.ts';

/** One layer as the user described it: its name and its key=value settings. */
export interface LayerDesc {
  layer: string;
  [key: string]: unknown;
}

/** One packet: its layers (outermost first), and optionally its time and comments. */
export interface PacketDesc {
  layers: LayerDesc[];
  /** Seconds since the epoch (default: the previous packet's time + interval, or now). */
  time?: number;
  comment?: string;
}

export function schemaOf(layer: string, where: string): LayerSchema | 'payload' {
  const canonical = LAYER_ALIASES[layer.toLowerCase()];
  if (canonical === undefined) {
    throw new CliError(`${where}: unknown layer "${layer}" (known: ${Object.keys(LAYER_ALIASES).join(', ')})`, 1);
  }
  if (canonical === 'payload') return 'payload';
  return SCHEMAS.find((s) => s.name === canonical) as LayerSchema;
}

/** Builds one layer from its description; errors name the layer and the key. */
export function buildLayer(desc: LayerDesc, where: string): LayerSpec {
  const schema = schemaOf(desc.layer, where);
  if (schema === 'payload') {
    const keys = Object.keys(desc).filter((k) => k !== 'layer');
    const unknown = keys.filter((k) => k !== 'data' && k !== 'hex');
    if (unknown.length > 0) throw new CliError(`${where}: unknown key "${unknown[0]}" for layer payload (known: data, hex)`, 1);
    if (typeof desc.hex === 'string') {
      const b = hexBytes(desc.hex);
      if (b === undefined) throw new CliError(`${where}: ${JSON.stringify(desc.hex.slice(0, 60))} is not hex bytes`, 1);
      return payload(b);
    }
    if (desc.data === undefined) return payload(new Uint8Array(0));
    return payload(String(desc.data));
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(desc)) {
    if (key === 'layer') continue;
    const k = schema.keys[key];
    if (k === undefined) {
      throw new CliError(`${where}: unknown key "${key}" for layer ${schema.name} (known: ${Object.keys(schema.keys).join(', ')})`, 1);
    }
    options[key] = readValue(k, value, `${where} ${key}`);
  }
  const missing = schema.required.filter((k) => options[k] === undefined);
  if (missing.length > 0) throw new CliError(`${where}: layer ${schema.name} needs ${missing.map((k) => `${k}=...`).join(', ')}`, 1);
  try {
    return schema.build(options);
  } catch (err) {
    throw new CliError(`${where}: ${(err as Error).message}`, 1);
  }
}

/** `k=v,k=v` -> settings. A value may not contain a comma (use --json for anything richer). */
export function parseSettings(text: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`${where}: "${part}" is not key=value`, 1);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export const LAYER_FLAGS = new Set(Object.keys(LAYER_ALIASES).filter((k) => k !== 'data' && k !== 'payload'));

/**
 * The layers given on a command line, in their order: `--eth k=v,...`, `--ipv4 ...`, `--payload TEXT`,
 * `--payload-hex HEX`. (Order matters and option parsers lose it, so the raw arguments are read.)
 */
export function layersFromArgs(args: readonly string[]): LayerDesc[] {
  const out: LayerDesc[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/is.exec(args[i]);
    if (!m) continue;
    const flag = m[1].toLowerCase();
    const inline = m[2];
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) return '';
      i++;
      return next;
    };
    if (flag === 'payload') out.push({ layer: 'payload', data: takeValue() });
    else if (flag === 'payload-hex') out.push({ layer: 'payload', hex: takeValue() });
    else if (LAYER_FLAGS.has(flag)) out.push({ layer: flag, ...parseSettings(takeValue(), `--${flag}`) });
  }
  return out;
}

/** Reads the --json description: an array of packets (each an array of layers, or {layers, time, comment}), or one packet. */
export function packetsFromJson(text: string, file: string): PacketDesc[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: not valid JSON (${(err as Error).message})`, 1);
  }
  const isLayer = (x: unknown): x is LayerDesc => typeof x === 'object' && x !== null && !Array.isArray(x) && typeof (x as { layer?: unknown }).layer === 'string';
  const asPacket = (x: unknown, k: number): PacketDesc => {
    if (Array.isArray(x) && x.every(isLayer)) return { layers: x };
    if (typeof x === 'object' && x !== null && Array.isArray((x as { layers?: unknown }).layers)) {
      const p = x as { layers: unknown[]; time?: unknown; comment?: unknown };
      if (!p.layers.every(isLayer)) throw new CliError(`${file}: packet ${k + 1}: every layer needs a "layer" name`, 1);
      const out: PacketDesc = { layers: p.layers as LayerDesc[] };
      if (p.time !== undefined) {
        if (typeof p.time !== 'number') throw new CliError(`${file}: packet ${k + 1}: "time" must be a number of seconds since the epoch`, 1);
        out.time = p.time;
      }
      if (p.comment !== undefined) {
        if (typeof p.comment !== 'string') throw new CliError(`${file}: packet ${k + 1}: "comment" must be text`, 1);
        out.comment = p.comment;
      }
      return out;
    }
    throw new CliError(`${file}: packet ${k + 1} must be an array of layers like {"layer": "ipv4", "src": "10.0.0.1", ...}`, 1);
  };
  if (Array.isArray(doc) && doc.length > 0 && doc.every(isLayer)) return [{ layers: doc }];
  if (!Array.isArray(doc)) throw new CliError(`${file}: expected an array of packets`, 1);
  return doc.map(asPacket);
}

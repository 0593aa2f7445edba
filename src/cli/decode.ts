// `netlab decode`: tshark's reading side, with tshark's flags.
//
//   netlab decode -r FILE [-Y FILTER] [-c N] [-V] [-x] [-P] [-T fields|json|text] [-e FIELD]...
//                 [-E header=y|n,separator=C,occurrence=f|l|a,aggregator=C,quote=d|s|n] [-o PREF:VALUE]
//
// The capture streams (pcap, pcapng, gzip of either): one frame at a time is read, dissected, printed
// and dropped, and writing waits for the reader of stdout, so memory stays flat however big the file.

import type { Argv } from 'yargs';
import { openCapture } from '../capture/read.ts';
import { CaptureRecordError } from '../capture/problems.ts';
import { CaptureFormatError, type CapturedPacket } from '../capture/types.ts';
import { DissectState, FieldSelection, parsePrefs, type DissectPrefs } from '../dissect/context.ts';
import { dissect, type Dissection } from '../dissect/dissect.ts';
import { fieldShows, fieldsHeader, fieldsLiner, type FieldsOptions, invalidFields } from '../dissect/fields-output.ts';
import { compileFilter, type Filter, FilterError, formatFilterError } from '../dissect/filter/index.ts';
import { markDisplayed, trackDisplayedFrames } from '../dissect/frame-fields.ts';
import { hexText } from '../dissect/hex-output.ts';
import { JsonWriter } from '../dissect/json-output.ts';
import { summaryLine } from '../dissect/summary.ts';
import { treeText } from '../dissect/tree-output.ts';
import { CliError, colorAllowed, Output, printError } from './io.ts';

export type OutputFormat = 'text' | 'fields' | 'json';

export interface DecodeOptions {
  file: string;
  /** -o: Wireshark preferences (eth.check_fcs). */
  prefs?: DissectPrefs;
  /** -V: the protocol tree. */
  verbose?: boolean;
  /** -x: hex and ASCII dump. */
  hex?: boolean;
  /** -P: the summary line even with -V / -x. */
  summary?: boolean;
  format?: OutputFormat;
  /** -e: fields for -T fields (and -T json, which then prints only these). */
  fields?: string[];
  fieldOptions?: FieldsOptions;
  /** -c: stop after reading this many packets (tshark counts packets read, also with -Y); 0 = all. */
  count?: number;
  /** -Y: display filter. */
  filter?: string;
  /** Colour the -x layer spans. */
  color?: boolean;
  /** --no-duplicate-keys for -T json. */
  noDuplicateKeys?: boolean;
}

const E_OPTIONS_HELP = [
  'The available options for field output "E" are:',
  'bom=y|n    Prepend output with the UTF-8 BOM (def: N: no)',
  'header=y|n    Print field abbreviations as first line of output (def: N: no)',
  'separator=/t|/s|<character>   Set the separator to use;',
  '     "/t" = tab, "/s" = space (def: /t: tab)',
  'occurrence=f|l|a  Select the occurrence of a field to use;',
  '     "f" = first, "l" = last, "a" = all (def: a: all)',
  'aggregator=,|/s|<character>   Set the aggregator to use;',
  '     "," = comma, "/s" = space (def: ,: comma)',
  'quote=d|s|n   Print either d: double-quotes, s: single quotes or',
  '     n: no quotes around field values (def: n: none)',
].join('\n');

/** Parses the -E option=value pairs as tshark does (separator and aggregator take one character). */
export function parseFieldOptions(pairs: readonly string[]): FieldsOptions & { bom?: boolean } {
  const opts: FieldsOptions & { bom?: boolean } = {};
  const bad = (p: string): never => {
    const key = p.includes('=') ? p.slice(0, p.indexOf('=')) : p;
    throw new CliError(`"${key}" is not a valid field output option=value pair.\n${E_OPTIONS_HELP}`, 1);
  };
  const char = (v: string): string => (v === '/t' ? '\t' : v === '/s' ? ' ' : v.slice(0, 1));
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq < 0) bad(p);
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    switch (key) {
      case 'header':
      case 'bom':
        if (!/^[yn]$/i.test(value)) bad(p);
        opts[key === 'header' ? 'header' : 'bom'] = value.toLowerCase() === 'y';
        break;
      case 'separator':
        if (value === '') bad(p);
        opts.separator = char(value);
        break;
      case 'aggregator':
        if (value === '') bad(p);
        opts.aggregator = char(value);
        break;
      case 'occurrence':
        if (!/^[fla]$/.test(value)) bad(p);
        opts.occurrence = value as 'f' | 'l' | 'a';
        break;
      case 'quote':
        if (!/^[dsn]$/.test(value)) bad(p);
        opts.quote = value as 'd' | 's' | 'n';
        break;
      default:
        bad(p);
    }
  }
  return opts;
}

/** -o PREF:VALUE: the preferences netlab honours (see parsePrefs); anything else is an error. */
export function checkPreferences(prefs: readonly string[]): DissectPrefs {
  try {
    return parsePrefs(prefs);
  } catch (err) {
    throw new CliError((err as Error).message, 1);
  }
}

/** Checks the options before any file is opened, as tshark does. */
function validate(o: DecodeOptions): { filter?: Filter } {
  const format = o.format ?? 'text';
  const fields = o.fields ?? [];
  if (format === 'fields' && fields.length === 0) throw new CliError('"-Tfields" was specified, but no fields were specified with "-e".', 1);
  if (format === 'text' && fields.length > 0) {
    throw new CliError('Output fields were specified with "-e", but "-Tfields" or "-Tjson" was not specified.', 1);
  }
  const bad = invalidFields(fields);
  if (bad.length > 0) throw new CliError(`Some fields aren't valid:\n${bad.map((b) => '\t' + b).join('\n')}`, 1);
  if (o.count !== undefined && (!Number.isInteger(o.count) || o.count < 0)) throw new CliError(`-c ${o.count}: the packet count must be a whole number.`, 1);
  if (o.filter === undefined || o.filter.trim() === '') return {};
  try {
    // A `matches` pattern abandoned for backtracking too long is reported once, on stderr.
    return { filter: compileFilter(o.filter, { onProblem: printError }) };
  } catch (err) {
    if (err instanceof FilterError) throw new CliError(formatFilterError(o.filter, err), 2);
    // The parser bounds nesting and length; should anything else still overflow, one line, not a trace.
    if (err instanceof RangeError) throw new CliError(`the display filter could not be compiled: ${err.message}`, 2);
    throw err;
  }
}

/** -T json -e ...: tshark prints only the named fields, each as an array of its occurrences. */
function jsonFieldsPacket(d: Dissection, names: readonly string[], first: boolean): string {
  const entries = names
    .map((n) => [n, fieldShows(d, n)] as const)
    .filter(([, v]) => v.length > 0)
    .map(([n, v]) => `        ${JSON.stringify(n)}: [\n${v.map((s) => `          ${JSON.stringify(s)}`).join(',\n')}\n        ]`);
  const dt = new Date(d.packet.tsSec * 1000);
  const two = (x: number): string => String(x).padStart(2, '0');
  const index = `packets-${dt.getFullYear()}-${two(dt.getMonth() + 1)}-${two(dt.getDate())}`;
  const layers = entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n      }`;
  const body = `  {\n    "_index": "${index}",\n    "_type": "doc",\n    "_score": null,\n    "_source": {\n      "layers": ${layers}\n    }\n  }`;
  return (first ? '[\n' : ',\n') + body;
}

/** The text printed for one displayed frame in text mode (-V, -x, -P combinations as tshark lays them out). */
export function textOutput(d: Dissection, o: DecodeOptions): string {
  const verbose = o.verbose === true;
  const hex = o.hex === true;
  // The default output: the summary line alone.
  if (!verbose && !hex) return summaryLine(d) + '\n';
  const summary = o.summary === true || (!verbose && !hex);
  let out = '';
  if (summary) out += `${summaryLine(d)}\n`;
  if (summary && hex && !verbose) out += '\n';
  if (verbose) out += `${treeText(d, { hexFollows: hex })}\n`;
  if (hex) out += `${hexText(d, { color: o.color === true })}\n`;
  return out;
}

/** Opens the capture, turning file-system and format errors into tshark-like messages. */
async function open(file: string): Promise<Awaited<ReturnType<typeof openCapture>>> {
  try {
    return await openCapture(file);
  } catch (err) {
    throw captureError(file, err);
  }
}

/** A capture that cannot be opened or read, as a message naming the file and what was wrong. */
export function captureError(file: string, err: unknown): CliError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return new CliError(`The file "${file}" doesn't exist.`, 2);
  if (e.code === 'EACCES') return new CliError(`The file "${file}" could not be opened: permission denied.`, 2);
  if (e.code === 'EISDIR') return new CliError(`"${file}" is a directory (folder), not a file.`, 2);
  if (err instanceof CaptureRecordError) {
    return new CliError(`The file "${file}" is damaged at frame ${err.frame} (byte ${err.offset}): ${err.reason}. The frames before it were decoded.`, 2);
  }
  if (err instanceof CaptureFormatError) {
    return new CliError(`The file "${file}" isn't a capture file netlab can read: ${err.reason} (at byte ${err.offset}).`, 2);
  }
  return new CliError(`The file "${file}" could not be read: ${(err as Error).message}`, 2);
}

/** Runs `netlab decode`. Returns the exit code; user errors are printed on stderr. */
export async function runDecode(o: DecodeOptions, out: Output = new Output()): Promise<number> {
  try {
    return await decodeCapture(o, out);
  } catch (err) {
    if (err instanceof CliError) {
      await out.flush();
      printError(err.message);
      return err.exitCode;
    }
    throw err;
  }
}

async function decodeCapture(o: DecodeOptions, out: Output): Promise<number> {
  const { filter } = validate(o);
  const format = o.format ?? 'text';
  const fields = o.fields ?? [];
  const fopts = o.fieldOptions ?? {};
  const capture = await open(o.file);
  const state = new DissectState(o.prefs, fieldSelection(o, filter));
  if (filter !== undefined) trackDisplayedFrames(state);
  const json = new JsonWriter({ noDuplicateKeys: o.noDuplicateKeys === true });
  let jsonCount = 0;
  let read = 0;
  const limit = o.count ?? 0;
  if (format === 'fields' && (fopts as { bom?: boolean }).bom) await out.write('\ufeff');
  if (format === 'fields' && fopts.header) await out.line(fieldsHeader(fields, fopts));
  const fieldsText = fieldsLiner(fields, fopts);
  try {
    let stop = false;
    for await (const batch of capture.batches()) {
      for (const packet of batch) {
        read++;
        const text = frameOutput(packet, state, filter, o, format, fields, fieldsText, json, jsonCount === 0);
        if (text !== undefined) {
          jsonCount++;
          if (out.append(text)) await out.flush();
        }
        if (out.closed || (limit > 0 && read >= limit)) {
          stop = true;
          break;
        }
      }
      if (stop) break;
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    await finish(format, jsonCount, out);
    throw captureError(o.file, err);
  } finally {
    await capture.close();
  }
  await finish(format, jsonCount, out);
  if (capture.error !== undefined && !out.closed) throw captureError(o.file, capture.error);
  return 0;
}

/**
 * The fields the output reads, so the dissector builds only those (and the columns): the summary
 * lines need none, `-T fields` and `-T json -e` the named ones, a display filter the names it refers
 * to. `-V`, `-x` and `-T json` print the whole tree: undefined.
 */
export function fieldSelection(o: DecodeOptions, filter: Filter | undefined): FieldSelection | undefined {
  const format = o.format ?? 'text';
  const fields = o.fields ?? [];
  const wanted = filter === undefined ? [] : [...filter.fields];
  if (format === 'fields' || (format === 'json' && fields.length > 0)) return new FieldSelection([...fields, ...wanted]);
  if (format === 'text' && o.verbose !== true && o.hex !== true) return new FieldSelection(wanted);
  return undefined;
}

async function finish(format: OutputFormat, jsonCount: number, out: Output): Promise<void> {
  if (format === 'json') await out.write(jsonCount === 0 ? '[]\n' : '\n]\n');
  await out.flush();
}

/** Dissects, filters and formats one packet; undefined when the filter hides it. Never throws. */
function frameOutput(
  packet: CapturedPacket,
  state: DissectState,
  filter: Filter | undefined,
  o: DecodeOptions,
  format: OutputFormat,
  fields: readonly string[],
  fieldsText: (d: Dissection) => string,
  json: JsonWriter,
  firstJson: boolean,
): string | undefined {
  try {
    const d = dissect(packet, state);
    if (filter !== undefined && !filter.matches(d)) return undefined;
    markDisplayed(state, packet);
    if (format === 'fields') return fieldsText(d) + '\n';
    if (format === 'json') return fields.length > 0 ? jsonFieldsPacket(d, fields, firstJson) : json.packet(d);
    return textOutput(d, o);
  } catch (err) {
    // A bug on one frame must not end the run: report it and go on with the next frame.
    printError(`frame ${packet.number}: ${(err as Error).message}`);
    return undefined;
  }
}

/** Normalises a repeatable string option (yargs gives a string for one use, an array for several). */
function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Adds `decode` to the command line. */
export function registerDecode(y: Argv): Argv {
  return y.command(
    'decode [file]',
    'Decode a capture as tshark does: summary lines, -V tree, -x hex, -T fields|json, -Y filter',
    (b) =>
      b
        .positional('file', { type: 'string', describe: 'Capture file (pcap, pcapng, optionally gzipped); same as -r' })
        .option('r', { alias: 'read-file', type: 'string', describe: 'Capture file to read' })
        .option('Y', { alias: 'display-filter', type: 'string', describe: 'Display filter (Wireshark syntax)' })
        .option('c', { type: 'number', describe: 'Stop after reading this many packets' })
        .option('V', { type: 'boolean', describe: 'Print the protocol tree' })
        .option('x', { type: 'boolean', describe: 'Print hex and ASCII, with the byte span of each layer' })
        .option('P', { type: 'boolean', describe: 'Print the summary line also with -V/-x' })
        .option('T', { type: 'string', describe: 'Output format: text (default), fields, json' })
        .option('e', { type: 'string', describe: 'Field to print with -T fields/json (repeatable)' })
        .option('E', { type: 'string', describe: 'Field output option: header=y, separator=/t, occurrence=a, aggregator=",", quote=n' })
        .option('o', { type: 'string', describe: 'Preference: eth.check_fcs:TRUE; *.check_checksum:TRUE accepted (netlab always validates checksums)' })
        .option('n', { type: 'boolean', describe: 'Accepted for tshark compatibility' })
        .option('duplicate-keys', {
          type: 'boolean',
          default: true,
          describe: 'With -T json, repeat keys as tshark does (--no-duplicate-keys merges them into arrays)',
        })
        .option('color', { type: 'boolean', describe: 'Colour the layer spans of -x (default: on a terminal, unless NO_COLOR is set)' })
        .example('$0 decode -r capture.pcapng', 'one summary line per packet')
        .example("$0 decode -r capture.pcap -Y 'tcp.flags.syn == 1' -V", 'the tree of every SYN')
        .example('$0 decode -r capture.pcap -T fields -e ip.src -e ip.dst -E header=y', 'fields, tab-separated'),
    async (argv) => {
      try {
        const file = argv.r ?? argv.file;
        if (file === undefined || file === '') throw new CliError('no capture file: use -r FILE (or give the file as the argument).', 1);
        const t = argv.T ?? 'text';
        if (t !== 'text' && t !== 'fields' && t !== 'json') {
          throw new CliError(`-T ${t}: unsupported output format; netlab supports text, fields and json.`, 1);
        }
        const prefs = checkPreferences(list(argv.o));
        const e = list(argv.e);
        const E = parseFieldOptions(list(argv.E));
        process.exitCode = await runDecode({
          file,
          prefs,
          verbose: argv.V,
          hex: argv.x,
          summary: argv.P,
          format: t,
          fields: e,
          fieldOptions: E,
          count: argv.c,
          filter: argv.Y,
          color: argv.color ?? colorAllowed(),
          noDuplicateKeys: argv['duplicate-keys'] === false,
        });
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        printError(err.message);
        process.exitCode = err.exitCode;
      }
    },
  );
}

// `netlab craft` once the packets are described: stream them to the file (constant memory for any
// --count) and print what was written, read back through netlab's own reader and dissector, or print
// them (summary and hex) when no file is given.

import { parseCapture } from '../../capture/read.ts';
import { DissectState } from '../../dissect/context.ts';
import { dissect } from '../../dissect/dissect.ts';
import { hexLines } from '../../dissect/hex-output.ts';
import { summaryLine } from '../../dissect/summary.ts';
import { CliError, checkWritableFile, Output, printError } from '../io.ts';
import { type CaptureFormatName, captureBytes, formatOf, streamToFile } from './capture-out.ts';
import { type BuiltPacket, buildPackets, type CraftOptions } from './packets.ts';

/** With -w, the summaries of this many packets are printed (then a count of the rest). */
export const SUMMARY_LIMIT = 100;
/** Packets read back and printed per batch (bounds memory when printing many without -w). */
const BATCH = 1000;

/** Reads `batch` back through a capture of `format` and dissects it; frame numbers continue from `first`. */
function readBack(sequence: readonly BuiltPacket[], batch: readonly BuiltPacket[], format: CaptureFormatName, first: number, state: DissectState) {
  const parsed = parseCapture(captureBytes(sequence, batch, format), '<crafted>');
  if (parsed.error !== undefined) throw new CliError(`netlab could not read back what it crafted: ${parsed.error.message}`, 1);
  return parsed.packets.map((p, i) => dissect({ ...p, number: first + i }, state));
}

function* take<T>(it: Iterator<T>, n: number): Generator<T> {
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done === true) return;
    yield r.value;
  }
}

/** Runs `netlab craft`; returns the exit code. */
export async function runCraft(o: CraftOptions, out: Output = new Output()): Promise<number> {
  try {
    const plan = buildPackets(o);
    const format = o.write === undefined ? 'pcapng' : formatOf(o.write);
    const state = new DissectState();
    if (o.write !== undefined) {
      checkWritableFile('-w', o.write);
      const shown = [...take(plan.packets()[Symbol.iterator](), SUMMARY_LIMIT)];
      const ds = readBack(plan.sequence, shown, format, 1, state);
      const size = await streamToFile(o.write, plan.sequence, plan.packets());
      for (const d of ds) await out.line(summaryLine(d));
      if (plan.total > shown.length) await out.line(`  ... and ${plan.total - shown.length} more (${plan.copies} copies of ${plan.sequence.length})`);
      const n = plan.total;
      await out.line(`wrote ${n} packet${n === 1 ? '' : 's'} (${size} bytes) to ${o.write}`);
      await out.line(`open it: wireshark ${shellQuote(o.write)}   (or: netlab decode -r ${shellQuote(o.write)} -V)`);
    } else {
      const it = plan.packets()[Symbol.iterator]();
      let number = 1;
      for (;;) {
        const batch = [...take(it, BATCH)];
        if (batch.length === 0 || out.closed) break;
        for (const d of readBack(plan.sequence, batch, format, number, state)) {
          await out.line(summaryLine(d));
          for (const l of hexLines(d, { color: o.color === true })) await out.line(l);
          await out.line('');
        }
        number += batch.length;
      }
      await out.line('(nothing written: add -w FILE.pcapng to save these packets for Wireshark)');
    }
    await out.flush();
    return 0;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    await out.flush();
    printError(err.message);
    return err.exitCode;
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

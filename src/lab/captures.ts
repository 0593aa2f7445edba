// The captures of one lab run: crafted-frame pcapngs (ctx.capture) and socket taps (ctx.tap), each at
// OUT/LAB/FILE.pcapng, closed at the end of their step (or of the lab), then announced with the
// command that opens them in Wireshark on the filter that shows the point of the step.

import { mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { PcapngWriter } from '../capture/pcapng-writer.ts';
import { TapRecorder } from '../capture/socket-tap.ts';
import type { Clock } from '../base/clock.ts';
import type { Random } from '../base/random.ts';
import type { CaptureFilter, CaptureOptions, LabCapture, LabTap } from './types.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

export interface ClosedCapture {
  /** As printed: relative to the working directory when inside it. */
  readonly path: string;
  readonly absolutePath: string;
  readonly filters: readonly CaptureFilter[];
  readonly frames: number;
}

export interface CaptureSetOptions {
  /** The lab's folder: OUT/LAB. */
  readonly dir: string;
  /** Paths are printed relative to this folder (default: the working directory). */
  readonly cwd?: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly deterministic: boolean;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A path as a user types it: relative when below `cwd`, else absolute. */
export function displayPath(abs: string, cwd = process.cwd()): string {
  const rel = relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line that opens a capture on a filter: wireshark -r PATH [-o PREF]... -Y "FILTER". */
export function wiresharkCommand(path: string, filter: string, prefs: readonly string[] = []): string {
  const f = filter.includes('"') ? shellWord(filter) : `"${filter.replace(/([\\$`])/g, '\\$1')}"`;
  const o = prefs.map((p) => ` -o ${shellWord(p)}`).join('');
  return `wireshark -r ${shellWord(path)}${o} -Y ${f}`;
}

/** The same view in a terminal: netlab decode -r PATH [-o PREF]... -Y "FILTER". */
export function decodeCommand(path: string, filter: string, prefs: readonly string[] = []): string {
  return wiresharkCommand(path, filter, prefs).replace(/^wireshark /, 'netlab decode ');
}

class LabTapRecorder extends TapRecorder implements LabTap {
  constructor(
    options: ConstructorParameters<typeof TapRecorder>[0],
    readonly path: string,
    private readonly addFilter: (f: CaptureFilter) => void,
  ) {
    super(options);
  }

  filter(f: CaptureFilter): void {
    this.addFilter(f);
  }
}

interface Open {
  readonly abs: string;
  readonly filters: CaptureFilter[];
  readonly untilLabEnd: boolean;
  close(): Promise<number>;
}

export class CaptureSet {
  private readonly open: Open[] = [];
  private readonly names = new Set<string>();
  private dirMade = false;

  constructor(private readonly options: CaptureSetOptions) {}

  private place(file: string, options: CaptureOptions): { abs: string; shown: string; filters: CaptureFilter[] } {
    const name = file.endsWith('.pcapng') ? file : `${file}.pcapng`;
    if (!FILE_NAME.test(name)) throw new NetlabRangeError(`capture name ${JSON.stringify(file)}: use letters, digits, '.', '_' and '-' only`);
    if (this.names.has(name)) throw new NetlabRangeError(`capture ${name} is opened twice in this lab`);
    if (options.filter.trim() === '') throw new NetlabRangeError(`capture ${name}: give the display filter that shows the point of the step`);
    this.names.add(name);
    if (!this.dirMade) {
      mkdirSync(this.options.dir, { recursive: true });
      this.dirMade = true;
    }
    const abs = resolve(join(this.options.dir, name));
    const { also, untilLabEnd, fcs, ...first } = options;
    void untilLabEnd;
    void fcs;
    return { abs, shown: displayPath(abs, this.options.cwd), filters: [first, ...(also ?? [])] };
  }

  /** A pcapng for crafted Ethernet frames. */
  capture(file: string, options: CaptureOptions): LabCapture {
    const { abs, shown, filters } = this.place(file, options);
    const writer = PcapngWriter.toFile(abs, { interfaces: [{ linkType: 1, name: 'netlab', ...(options.fcs === true ? { fcsLength: 4 } : {}) }] });
    let frames = 0;
    let closed = false;
    this.open.push({
      abs,
      filters,
      untilLabEnd: options.untilLabEnd === true,
      close: async () => {
        closed = true;
        await writer.close();
        return frames;
      },
    });
    const clock = this.options.clock;
    return {
      path: shown,
      write: (frame, opts = {}) => {
        if (closed) throw new NetlabError('ERR_STATE', `${shown}: write after the capture was closed (use untilLabEnd to keep it open)`);
        const t = opts.time ?? clock.now();
        writer.write({ tsSec: t.sec, tsNsec: t.nsec, data: frame, comments: opts.comment === undefined ? [] : [opts.comment] });
        frames++;
      },
      filter: (f) => filters.push(f),
    };
  }

  /** A socket tap writing to a file; fixed mode when the run is deterministic. */
  tap(file: string, options: CaptureOptions): LabTap {
    const { abs, shown, filters } = this.place(file, options);
    const rnd = this.options.random;
    const tap = new LabTapRecorder({ path: abs, clock: this.options.clock, random32: () => rnd.uint32(), fixed: this.options.deterministic }, shown, (f) =>
      filters.push(f),
    );
    this.open.push({
      abs,
      filters,
      untilLabEnd: options.untilLabEnd === true,
      close: async () => {
        await tap.close();
        return tap.frames.length;
      },
    });
    return tap;
  }

  /** Closes the step's captures (or, with `all`, every capture still open) in the order opened. */
  async close(all: boolean): Promise<ClosedCapture[]> {
    const out: ClosedCapture[] = [];
    for (const c of [...this.open]) {
      if (!all && c.untilLabEnd) continue;
      this.open.splice(this.open.indexOf(c), 1);
      const frames = await c.close();
      out.push({ path: displayPath(c.abs, this.options.cwd), absolutePath: c.abs, filters: c.filters, frames });
    }
    return out;
  }
}

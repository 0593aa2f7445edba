// Where the TLS labs write. A normal run writes its captures and key logs to the lab's folder
// (netlab-out/LAB/) through ctx.tap and ctx.capture, so the runner announces them and checks their
// filters. A fixture run (`npm run fixtures`, ctx.deterministic) cannot: TLS draws its keys, randoms
// and tickets from OpenSSL, so no two runs write the same bytes and fixtures/ must be byte-identical.
// There the same connections run, every checkpoint still runs, and the files go to a scratch folder
// that is deleted when the lab ends: fixtures/ gets nothing from the TLS labs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PcapngWriter } from '../../src/capture/index.ts';
import { TapRecorder } from '../../src/capture/index.ts';
import type { CaptureFilter, CaptureOptions, LabCapture, LabTap, StepContext } from '../../src/lab/index.ts';

export interface TlsOutput {
  /** The folder for key log files and captures: the lab's folder, or the scratch folder of a fixture run. */
  readonly dir: string;
  /** True when the files stay (normal runs); false in fixture runs. */
  readonly kept: boolean;
  /** The absolute path of a file in `dir` (a capture's name gets .pcapng). */
  pathOf(file: string): string;
  /** A socket tap for TLS connections (with its key log written into it by the caller). */
  tap(file: string, options: CaptureOptions): LabTap;
  /** A pcapng of frames the lab writes itself (a copy of a capture without its keys). */
  capture(file: string, options: CaptureOptions): LabCapture;
}

const scratchDirs = new WeakMap<object, string>();

class ScratchTap extends TapRecorder implements LabTap {
  constructor(readonly path: string) {
    super({ path });
  }

  filter(f: CaptureFilter): void {
    void f; // nobody reads a scratch capture's filters: it is deleted at the end of the lab
  }
}

function scratchDir<S extends object>(ctx: StepContext<S>): string {
  let dir = scratchDirs.get(ctx.state);
  if (dir === undefined) {
    const made = mkdtempSync(join(tmpdir(), `netlab-${ctx.lab.name}-`));
    scratchDirs.set(ctx.state, made);
    ctx.onLabEnd(() => rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  return dir;
}

/** A capture's file name (.pcapng added); other files (a .keys file) keep theirs. */
const fileName = (file: string): string => (/\.[a-z]+$/.test(file) ? file : `${file}.pcapng`);

/** The output of a TLS lab's step (see the file comment). The lab's state must be an object. */
export function tlsOutput<S extends object>(ctx: StepContext<S>): TlsOutput {
  if (!ctx.deterministic) {
    return {
      dir: ctx.outDir,
      kept: true,
      pathOf: (file) => resolve(ctx.outDir, fileName(file)),
      tap: (file, o) => ctx.tap(file, o),
      capture: (file, o) => ctx.capture(file, o),
    };
  }
  const dir = scratchDir(ctx);
  const later = (o: CaptureOptions, fn: () => Promise<void>): void => (o.untilLabEnd === true ? ctx.onLabEnd(fn) : ctx.onStepEnd(fn));
  return {
    dir,
    kept: false,
    pathOf: (file) => join(dir, fileName(file)),
    tap: (file, o) => {
      const tap = new ScratchTap(join(dir, fileName(file)));
      later(o, () => tap.close());
      return tap;
    },
    capture: (file, o) => {
      const path = join(dir, fileName(file));
      const writer = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'netlab' }] });
      let closed = false;
      later(o, async () => {
        closed = true;
        await writer.close();
      });
      return {
        path,
        write: (frame, opts = {}) => {
          if (closed) throw new Error(`${path}: write after the capture was closed`);
          const t = opts.time ?? ctx.clock.now();
          writer.write({ tsSec: t.sec, tsNsec: t.nsec, data: frame, comments: opts.comment === undefined ? [] : [opts.comment] });
        },
        filter: () => undefined,
      };
    },
  };
}

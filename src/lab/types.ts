// The shape of a lab: steps that explain, act, show and check. A lab file in labs/ exports one
// `defineLab({...})`; the runner (runner.ts) drives it, in guided mode or in --check mode.

import type { TapRecorder } from '../capture/socket-tap.ts';
import type { Check } from './checkpoint.ts';
import type { Clock } from '../base/clock.ts';
import type { Random } from '../base/random.ts';
import type { SequenceSpec } from './sequence.ts';
import type { HexOptions } from './hexview.ts';
import type { TableOptions, Cell } from './table.ts';
import type { Exercise } from './exercise.ts';
import type { LabInfo } from './lab-info.ts';
import type { Figure } from './figure.ts';

export type { LabInfo } from './lab-info.ts';

/** One step: an explanation with its concrete numbers, an action, and what it shows and checks. */
export interface Step<S> {
  readonly title: string;
  /** Printed before the action runs. A function may use the state earlier steps left. */
  readonly explain: string | ((state: S) => string);
  /** Does something real, then shows it (ctx.show) and checks it (ctx.check). */
  run(ctx: StepContext<S>): void | Promise<void>;
  /** Default 30 s. A step that takes longer fails, its clean-ups run and the lab stops. */
  readonly timeoutMs?: number;
}

export interface Lab<S = Record<string, unknown>> extends LabInfo {
  /** A fresh state for each run, shared by the steps (servers, sockets, numbers found earlier). */
  readonly state?: () => S;
  readonly steps: readonly Step<S>[];
  /** "Your turn": tasks the learner does, each after the step it names (see exercise.ts). */
  readonly exercises?: readonly Exercise<S>[];
  /** A few lines said at the end of the lab (default: what its steps were about). */
  readonly recap?: string;
}

/** A lab with its state type forgotten, as catalogues hold them (see defineLab). */
export type AnyLab = Lab<unknown>;

/** A Wireshark display filter shown beside a capture, and what it shows. */
export interface CaptureFilter {
  readonly filter: string;
  readonly about?: string;
  /**
   * The runner checks that the filter selects this many frames of the capture (netlab's dissector
   * and display filter, the same subset as `netlab decode -Y`). Default: at least one. Give
   * `'unchecked'` only for a filter netlab's filter subset cannot evaluate.
   */
  readonly frames?: number | 'some' | 'unchecked';
  /**
   * Wireshark preferences the filter needs, printed as `-o PREF` (e.g. `udp.check_checksum:TRUE`:
   * Wireshark leaves checksums unverified unless told, so a checksum-status filter needs it).
   */
  readonly prefs?: readonly string[];
}

export interface CaptureOptions extends CaptureFilter {
  /** More filters for the same file. */
  readonly also?: readonly CaptureFilter[];
  /** Keep the file open until the end of the lab (default: closed at the end of its step). */
  readonly untilLabEnd?: boolean;
  /** The frames end with a 4-byte FCS (the interface says so with if_fcslen; ctx.capture only). */
  readonly fcs?: boolean;
}

/** A pcapng of crafted frames (Ethernet link type) that a step writes. */
export interface LabCapture {
  /** Path of the file as printed (relative to the working directory when inside it). */
  readonly path: string;
  /** Writes one Ethernet frame; the time is ctx.clock.now() unless given. */
  write(frame: Uint8Array, options?: { comment?: string; time?: { sec: number; nsec: number } }): void;
  /** Adds a filter to print (and check) for this file. */
  filter(f: CaptureFilter): void;
}

/** A socket tap writing to a lab capture: TapRecorder plus the lab's filters. */
export interface LabTap extends TapRecorder {
  readonly path: string;
  filter(f: CaptureFilter): void;
}

/** What a step may show. In --check mode nothing is printed, but everything still runs. */
export interface Show {
  /** Plain lines. */
  text(text: string): void;
  /** A table; numbers are right-aligned. */
  table(head: readonly string[], rows: readonly (readonly Cell[])[], options?: TableOptions): void;
  /** A hex dump with each layer's bytes coloured (decoded as Ethernet unless spans are given). */
  hex(bytes: Uint8Array, options?: HexOptions): void;
  /** An ASCII sequence diagram. */
  sequence(spec: SequenceSpec): void;
  /**
   * A picture (figure.ts): SVG in the lab page; at the terminal, `figure.text` when given ('' prints
   * nothing, for a figure whose numbers a table already shows), else the figure's default text form.
   */
  figure(figure: Figure): void;
  /**
   * Says that part of the step was skipped and why (no tshark, not root, ...). Unlike the rest of
   * `show`, this is printed in --check mode too, so a terse run says what it did not check.
   */
  skipped(reason: string): void;
}

export interface StepContext<S> {
  readonly lab: LabInfo;
  readonly step: { readonly index: number; readonly count: number; readonly title: string };
  /** The lab's state (from `state()`), shared by all steps of one run. */
  readonly state: S;
  readonly check: Check;
  readonly show: Show;
  /** Wall clock in normal runs; a fixed clock that ticks per reading when writing fixtures. */
  readonly clock: Clock;
  /** Crypto-random in normal runs; seeded from the lab name when writing fixtures. */
  readonly random: Random;
  /** True when writing fixtures: times and ports in captures are fixed, results byte-identical. */
  readonly deterministic: boolean;
  /** The lab's output folder (`netlab-out/NAME`), created on first use. */
  readonly outDir: string;
  /** Aborted when the step runs out of time. */
  readonly signal: AbortSignal;
  /** A pcapng for crafted frames, at outDir/FILE.pcapng, printed with its filter when closed. */
  capture(file: string, options: CaptureOptions): LabCapture;
  /** A socket tap (real sockets to synthetic Ethernet/IP/TCP frames) at outDir/FILE.pcapng. */
  tap(file: string, options: CaptureOptions): LabTap;
  /** Runs fn after this step (also when it fails), last registered first. */
  onStepEnd(fn: () => void | Promise<void>): void;
  /** Runs fn after the lab's last step (also when a step fails), last registered first. */
  onLabEnd(fn: () => void | Promise<void>): void;
}

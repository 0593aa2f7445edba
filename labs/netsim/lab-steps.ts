// What the netsim labs (mac-and-arp, routing-and-ttl) share beyond the network itself: the state that
// collects each step's capture and the rows tshark must show in it, recording a step's frames into
// its capture, and the closing "What Wireshark says" step that checks those rows and finds no
// malformed packet.

import { resolve } from 'node:path';
import { tsharkFields, tsharkInstalled } from '../../src/lab/index.ts';
import type { StepContext, Step } from '../../src/lab/index.ts';
import type { LabNet } from '../../src/netsim/index.ts';

/** What the last step compares: the rows of `fields` for the frames `pick` keeps. */
export interface Confirm {
  readonly path: string;
  readonly what: string;
  readonly fields: readonly string[];
  readonly pick: (row: readonly string[]) => boolean;
  readonly expected: readonly (readonly string[])[];
}

/** The part of a netsim lab's state these helpers use. */
export interface ConfirmState {
  captures: string[];
  confirm: Confirm[];
}

/** A value an earlier step should have left in the state. */
export function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} is missing: an earlier step did not build it`);
  return v;
}

/** Starts recording the network into a new capture for this step; stops at the end of the step. */
export function recordStep<S extends ConfirmState>(ctx: StepContext<S>, net: LabNet, file: string, options: Parameters<StepContext<S>['capture']>[1]): string {
  const cap = ctx.capture(file, options);
  net.record(cap);
  ctx.onStepEnd(() => net.stopRecording());
  ctx.state.captures.push(cap.path);
  return cap.path;
}

/** The closing step: tshark's rows for each Confirm, and no malformed packet in any capture. */
export function wiresharkStep<S extends ConfirmState>(explain: string): Step<S> {
  return {
    title: 'What Wireshark says',
    explain,
    run(ctx) {
      if (!tsharkInstalled()) {
        ctx.show.skipped("tshark is not installed, so Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
        return;
      }
      for (const c of ctx.state.confirm) {
        const rows = tsharkFields(resolve(c.path), c.fields).filter((r) => c.pick(r));
        ctx.check.equal(
          `tshark: ${c.path}, ${c.what} (${c.fields.join(', ')})`,
          rows,
          c.expected.map((r) => [...r]),
        );
      }
      const malformed = ctx.state.captures.flatMap((p) =>
        tsharkFields(resolve(p), ['frame.number', '_ws.malformed'])
          .filter((r) => (r[1] ?? '') !== '')
          .map((r) => `${p} frame ${r[0]}`),
      );
      ctx.check.equal(`tshark finds no malformed packet in the ${ctx.state.captures.length} captures`, malformed, []);
    },
  };
}

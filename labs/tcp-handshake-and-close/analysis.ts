// What tshark's TCP analysis (tcp.analysis.*) says about a TCP lab's captures, in the lab's words:
// every analysis flag Wireshark raises on a frame, counted per capture, each with what it means here.
// A flag the table below does not explain fails the lab's checkpoint, so a capture can never show the
// learner a warning the lab leaves unexplained.

import { resolve } from 'node:path';
import { tsharkFields, tsharkInstalled } from '../../src/lab/index.ts';
import type { Step } from '../../src/lab/index.ts';
import type { ConfirmState } from '../netsim/lab-steps.ts';

/** Wireshark's tcp.analysis fields a lab may meet, and what each means. */
export const ANALYSIS_FLAGS: readonly { field: string; meaning: string }[] = [
  { field: 'tcp.analysis.retransmission', meaning: 'a segment carrying bytes already sent once (after a timeout)' },
  { field: 'tcp.analysis.fast_retransmission', meaning: 'a retransmission right after duplicate ACKs (fast retransmit, RFC 5681)' },
  { field: 'tcp.analysis.spurious_retransmission', meaning: 'a retransmission of bytes the receiver had already acknowledged' },
  { field: 'tcp.analysis.duplicate_ack', meaning: 'the receiver repeats its ACK for the byte it still expects' },
  { field: 'tcp.analysis.lost_segment', meaning: 'a gap in the sequence numbers: a segment before this one was not captured (lost on the link)' },
  { field: 'tcp.analysis.ack_lost_segment', meaning: 'an ACK for bytes this capture never saw (their segment was lost before it reached the link)' },
  { field: 'tcp.analysis.out_of_order', meaning: 'a segment with a lower sequence number than one seen before (it arrived late)' },
  { field: 'tcp.analysis.window_full', meaning: 'the sender filled the window the receiver offered' },
  { field: 'tcp.analysis.zero_window', meaning: 'the receiver offers a window of 0: its buffer is full' },
  { field: 'tcp.analysis.zero_window_probe', meaning: 'the sender probes a zero window with one byte' },
  { field: 'tcp.analysis.zero_window_probe_ack', meaning: 'the receiver answers a zero-window probe' },
  { field: 'tcp.analysis.window_update', meaning: 'the same ACK with a larger window: the reader made room' },
  { field: 'tcp.analysis.keep_alive', meaning: "a segment one byte behind the next sequence number (Wireshark's heuristic for a keep-alive)" },
  { field: 'tcp.analysis.keep_alive_ack', meaning: 'the answer to what Wireshark took for a keep-alive' },
  { field: 'tcp.analysis.reused_ports', meaning: 'a SYN on a 4-tuple Wireshark saw used before: a new connection on the same ports' },
];

/**
 * The TCP labs' closing step, one tshark run per capture: tshark's rows for each Confirm, no malformed
 * packet, and a table of the tcp.analysis flags in each capture, each explained; `expected` pins, per
 * capture file name, the flags and counts the lab's story predicts (a capture not named must raise none).
 */
export function tcpWiresharkStep<S extends ConfirmState>(explain: string, expected: Readonly<Record<string, Readonly<Record<string, number>>>>): Step<S> {
  return {
    title: 'What Wireshark says, and its TCP analysis flags explained',
    explain,
    run(ctx) {
      if (!tsharkInstalled()) {
        ctx.show.skipped("tshark is not installed, so Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
        return;
      }
      const flags = ANALYSIS_FLAGS.map((f) => f.field);
      const malformed: string[] = [];
      const table: string[][] = [];
      for (const p of ctx.state.captures) {
        const confirms = ctx.state.confirm.filter((c) => c.path === p);
        const own = confirms.flatMap((c) => c.fields);
        const fields = ['frame.number', '_ws.malformed', ...flags, ...own];
        const rows = tsharkFields(resolve(p), fields);
        let at = 2 + flags.length;
        for (const c of confirms) {
          const mine = rows.map((r) => r.slice(at, at + c.fields.length)).filter((r) => c.pick(r));
          at += c.fields.length;
          ctx.check.equal(
            `tshark: ${c.path}, ${c.what} (${c.fields.join(', ')})`,
            mine,
            c.expected.map((r) => [...r]),
          );
        }
        for (const r of rows) if ((r[1] ?? '') !== '') malformed.push(`${p} frame ${r[0]}`);
        const counts = new Map<string, number>();
        for (const r of rows)
          flags.forEach((f, i) => {
            if ((r[i + 2] ?? '') !== '') counts.set(f, (counts.get(f) ?? 0) + 1);
          });
        const file = p.split('/').pop() ?? p;
        for (const [field, n] of counts)
          table.push([file, field.replace('tcp.analysis.', ''), String(n), ANALYSIS_FLAGS.find((f) => f.field === field)?.meaning ?? '']);
        ctx.check.equal(
          `tshark's TCP analysis of ${file}: the flags the lab predicts`,
          Object.fromEntries([...counts].sort()),
          Object.fromEntries(Object.entries(expected[file] ?? {}).sort()),
        );
      }
      ctx.check.equal(`tshark finds no malformed packet in the ${ctx.state.captures.length} captures`, malformed, []);
      if (table.length > 0)
        ctx.show.table(['capture', 'tcp.analysis.*', 'frames', 'what it means here'], table, { title: 'The TCP analysis flags tshark raises' });
      else ctx.show.text('tshark raises no tcp.analysis flag in these captures.');
    },
  };
}

// The DNS labs' captures. The resolver's transport is tapped (every query socket, every datagram that
// reached it, each commented by the resolver and the transport); at the end of a step the frames go to
// the lab's capture. Unprivileged servers cannot listen on port 53, so the lab's servers listen on a
// port the kernel gave them; Wireshark (and netlab's dissector) dissect DNS on port 53 only, so the
// capture shows the servers' real port as 53 (ports rewritten, checksums updated by RFC 1624) and the
// first frame's comment says so. Client ports, addresses and bytes are kept as they were.

import { TapRecorder, type TapFrame } from '../../src/capture/index.ts';
import type { CaptureOptions, StepContext } from '../../src/lab/index.ts';
import { remapPorts } from '../../src/capture/index.ts';
import { tlsOutput } from '../tls/output.ts';

export const DNS_PORT = 53;

export interface DnsStepCapture {
  /** Give this to SocketTransport's `tap` option (and tap other sockets with it). */
  readonly tap: TapRecorder;
  /** The capture's path: shown to the user (in a fixture run, a scratch file deleted at the end). */
  readonly path: string;
  /** The absolute path, for tshark. */
  readonly absolutePath: string;
  /** Frames written (known once the step ends). */
  frames(): readonly TapFrame[];
}

/**
 * A capture for this step: a tap in memory whose frames are written at the end of the step, with
 * each server port in `serverPorts` shown as 53.
 */
export function dnsStepCapture<S extends object>(
  ctx: StepContext<S>,
  file: string,
  options: CaptureOptions,
  serverPorts: () => readonly number[],
): DnsStepCapture {
  const out = tlsOutput(ctx);
  const cap = out.capture(file, options);
  const tap = new TapRecorder({ clock: ctx.clock.fixed ? undefined : ctx.clock });
  let written: readonly TapFrame[] = [];
  // Registered now, so it runs before the runner (or tlsOutput's scratch mode) closes the file.
  ctx.onStepEnd(async () => {
    await tap.close();
    const ports = new Map<number, number>();
    for (const p of serverPorts()) ports.set(p, DNS_PORT);
    const shown = [...ports.keys()].filter((p) => p !== DNS_PORT);
    written = tap.frames;
    written.forEach((f, i) => {
      const notes = [...f.comments];
      if (i === 0 && shown.length > 0) {
        notes.unshift(
          `netlab: the lab's DNS servers listen on port ${shown.join(', ')} (below 1024 needs root); this capture shows it as 53 so that Wireshark dissects DNS`,
        );
      }
      cap.write(remapPorts(f.data, ports), { time: { sec: f.sec, nsec: f.nsec }, comment: notes.length === 0 ? undefined : notes.join(' | ') });
    });
  });
  return { tap, path: cap.path, absolutePath: out.pathOf(file), frames: () => written };
}

/**
 * What a transport built once is tapped through, step after step: each datagram goes to the capture
 * of the step running (`current`), and to none between captures.
 */
export class TapSwitch {
  current: TapRecorder | undefined;

  udp(socket: Parameters<TapRecorder['udp']>[0]): { comment(text: string): void } {
    return this.current?.udp(socket) ?? { comment: () => undefined };
  }

  tcp(socket: Parameters<TapRecorder['tcp']>[0]): { comment(text: string): void } {
    return this.current?.tcp(socket, { role: 'client' }) ?? { comment: () => undefined };
  }
}

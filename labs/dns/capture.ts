// The DNS labs' captures. The resolver's transport is tapped (every query socket, every datagram that
// reached it, each commented by the resolver and the transport); at the end of a step the frames go to
// the lab's capture. Unprivileged servers cannot listen on port 53, so the lab's servers listen on a
// port the kernel gave them; Wireshark (and netlab's dissector) dissect DNS on port 53 only, so the
// capture shows the servers' real port as 53 (ports rewritten, checksums updated by RFC 1624) and the
// first frame's comment says so. Client ports, addresses and bytes are kept as they were.

import { TapRecorder, type TapFrame } from '../../src/capture/socket-tap.ts';
import type { CaptureOptions, StepContext } from '../../src/lab/types.ts';
import { incrementalUpdate16 } from '../../src/wire/checksum.ts';
import { decode } from '../../src/wire/decode.ts';
import { tlsOutput } from '../tls/output.ts';

export const DNS_PORT = 53;

/** The byte offset of the UDP or TCP header of an Ethernet/IPv4 frame, and which one it is. */
function transportAt(frame: Uint8Array): { kind: 'udp' | 'tcp'; offset: number } | undefined {
  const layers = decode(frame, 1).layers;
  const t = layers.find((l) => l.kind === 'udp' || l.kind === 'tcp');
  if (t === undefined || (t.kind !== 'udp' && t.kind !== 'tcp')) return undefined;
  return { kind: t.kind, offset: t.offset };
}

/**
 * A copy of the frame with each port found in `ports` replaced by its mapped value and the UDP or TCP
 * checksum updated incrementally (a zero UDP checksum, "none", stays zero).
 */
export function remapPorts(frame: Uint8Array, ports: ReadonlyMap<number, number>): Uint8Array {
  const at = transportAt(frame);
  const out = Uint8Array.from(frame);
  if (at === undefined) return out;
  const sumAt = at.offset + (at.kind === 'udp' ? 6 : 16);
  if (sumAt + 2 > out.length) return out;
  let sum = (out[sumAt] << 8) | out[sumAt + 1];
  const noSum = at.kind === 'udp' && sum === 0;
  for (const field of [at.offset, at.offset + 2]) {
    const old = (out[field] << 8) | out[field + 1];
    const mapped = ports.get(old);
    if (mapped === undefined || mapped === old) continue;
    out[field] = mapped >> 8;
    out[field + 1] = mapped & 0xff;
    if (!noSum) sum = incrementalUpdate16(sum, old, mapped);
  }
  if (!noSum) {
    if (at.kind === 'udp' && sum === 0) sum = 0xffff; // RFC 768: a computed zero is sent as all ones
    out[sumAt] = sum >> 8;
    out[sumAt + 1] = sum & 0xff;
  }
  return out;
}

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
export function dnsStepCapture<S extends object>(ctx: StepContext<S>, file: string, options: CaptureOptions, serverPorts: () => readonly number[]): DnsStepCapture {
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
        notes.unshift(`netlab: the lab's DNS servers listen on port ${shown.join(', ')} (below 1024 needs root); this capture shows it as 53 so that Wireshark dissects DNS`);
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

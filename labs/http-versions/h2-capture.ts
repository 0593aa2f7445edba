// Captures of HTTP/2 in cleartext (h2c). Wireshark decodes HTTP/2 on a TCP port it knows as HTTP
// (80): its HTTP dissector sees the connection preface "PRI * HTTP/2.0" and hands over to HTTP/2. The
// lab's HTTP/2 server listens on a port the kernel chose, so the socket tap records in memory and the
// frames are written to the capture with that port shown as 80 (checksums updated, RFC 1624), as the
// DNS labs show their servers' ports as 53.

import { remapPorts, TapRecorder } from '../../src/capture/index.ts';
import type { CaptureOptions, StepContext } from '../../src/lab/index.ts';
import { tlsOutput } from '../tls/output.ts';

export const H2_SHOWN_PORT = 80;

export interface H2Capture {
  /** Tap each client socket here. */
  readonly tap: TapRecorder;
  /** The capture's path (as printed). */
  readonly path: string;
  /** Closes the tap and writes its frames, the server's port shown as 80. */
  write(): Promise<void>;
}

export function h2Capture<S extends object>(ctx: StepContext<S>, file: string, serverPort: number, options: CaptureOptions): H2Capture {
  const tap = new TapRecorder({});
  const out = tlsOutput(ctx);
  const cap = out.capture(file, options);
  const ports = new Map([[serverPort, H2_SHOWN_PORT]]);
  return {
    tap,
    path: out.pathOf(file),
    async write() {
      await tap.close();
      for (const f of tap.frames) cap.write(remapPorts(f.data, ports), { time: { sec: f.sec, nsec: f.nsec } });
    },
  };
}

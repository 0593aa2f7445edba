// The two active health checks: a TCP connect, and an HTTP GET whose status line must carry an
// accepted code (2xx and 3xx unless told otherwise, as HAProxy's httpchk). Each probe resolves when
// the target is healthy and rejects with a HealthProbeError saying why not; an abort (the checker's
// timeout or stop) destroys the socket at once, so a probe never outlives its check.

import { connect, type Socket } from 'node:net';

export interface TcpCheck {
  kind: 'tcp';
  host: string;
  port: number;
}

export interface HttpCheck {
  kind: 'http';
  host: string;
  port: number;
  /** Request path (default "/"). */
  path?: string;
  /** Host header (default the host). */
  hostHeader?: string;
  /** Accepted status codes (default 200..399). */
  acceptStatus?: (status: number) => boolean;
}

export type HealthCheckSpec = TcpCheck | HttpCheck;

export class HealthProbeError extends Error {
  override readonly name = 'HealthProbeError';
}

/** The largest response head read while looking for the status line. */
const MAX_STATUS_LINE = 8192;

function withSocket(spec: HealthCheckSpec, signal: AbortSignal, onConnect: (s: Socket, done: (err?: Error) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new HealthProbeError(String(signal.reason ?? 'aborted')));
      return;
    }
    const s = connect({ host: spec.host, port: spec.port });
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = (): void => done(new HealthProbeError(String(signal.reason ?? 'aborted')));
    signal.addEventListener('abort', onAbort);
    s.on('error', (err: NodeJS.ErrnoException) => done(new HealthProbeError(`${spec.kind} ${spec.host}:${spec.port}: ${err.code ?? err.message}`)));
    s.on('close', () => done(new HealthProbeError(`${spec.kind} ${spec.host}:${spec.port}: connection closed before an answer`)));
    s.once('connect', () => onConnect(s, done));
  });
}

/** Healthy when a TCP connection opens. */
export function tcpProbe(spec: TcpCheck, signal: AbortSignal): Promise<void> {
  return withSocket(spec, signal, (_s, done) => done());
}

/** Healthy when `GET path` answers with an accepted status. */
export function httpProbe(spec: HttpCheck, signal: AbortSignal): Promise<void> {
  const accept = spec.acceptStatus ?? ((n: number) => n >= 200 && n < 400);
  const path = spec.path ?? '/';
  return withSocket(spec, signal, (s, done) => {
    let head = '';
    s.setEncoding('latin1');
    s.on('data', (chunk: string) => {
      head += chunk;
      const eol = head.indexOf('\r\n');
      if (eol < 0) {
        if (head.length > MAX_STATUS_LINE) done(new HealthProbeError(`http ${spec.host}:${spec.port}: no status line in the first ${MAX_STATUS_LINE} bytes`));
        return;
      }
      const m = /^HTTP\/\d\.\d (\d{3})(?: |$)/.exec(head.slice(0, eol));
      if (m === null)
        done(new HealthProbeError(`http ${spec.host}:${spec.port}: not an HTTP status line: ${JSON.stringify(head.slice(0, Math.min(eol, 80)))}`));
      else if (!accept(Number(m[1]))) done(new HealthProbeError(`http ${spec.host}:${spec.port}${path}: status ${m[1]}`));
      else done();
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: ${spec.hostHeader ?? spec.host}\r\nUser-Agent: netlab-health\r\nConnection: close\r\n\r\n`);
  });
}

/** The probe for a check spec. */
export function probeFor(spec: HealthCheckSpec, signal: AbortSignal): Promise<void> {
  return spec.kind === 'tcp' ? tcpProbe(spec, signal) : httpProbe(spec, signal);
}

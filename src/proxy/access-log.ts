// Access log lines: the combined log format (Apache's and nginx's default) or one JSON object per
// line. The sink is a function (a test or a lab collects lines), stdout, or an appended file.

import { createWriteStream, type WriteStream } from 'node:fs';

export interface AccessRecord {
  readonly time: Date;
  readonly client: string;
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly status: number;
  readonly bytes: number;
  readonly referer: string | undefined;
  readonly userAgent: string | undefined;
  readonly host: string;
  readonly route: string;
  readonly cluster: string;
  readonly endpoint: string;
  readonly durationMs: number;
  readonly attempts: number;
  readonly requestId: string;
  readonly listener: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** [10/Oct/2000:13:55:36 +0000], in UTC. */
export function clfTime(d: Date): string {
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

function quoted(s: string | undefined): string {
  if (s === undefined || s === '') return '"-"';
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

export function combinedLine(r: AccessRecord): string {
  return `${r.client} - - [${clfTime(r.time)}] ${quoted(`${r.method} ${r.target} HTTP/${r.version}`)} ${r.status} ${r.bytes === 0 ? '-' : r.bytes} ${quoted(r.referer)} ${quoted(r.userAgent)}`;
}

export function jsonLine(r: AccessRecord): string {
  return JSON.stringify({ ...r, time: r.time.toISOString(), durationMs: Math.round(r.durationMs * 1000) / 1000 });
}

export type AccessSink = (line: string) => void;

/** A sink for a config's accessLog.path: stdout, or a file opened for appending. */
export function fileSink(path: string): { sink: AccessSink; close: () => void } {
  if (path === 'stdout') return { sink: (l) => process.stdout.write(`${l}\n`), close: () => undefined };
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  return { sink: (l) => stream.write(`${l}\n`), close: () => stream.end() };
}

// ping from a virtual host: ICMP echo requests with one identifier per run and sequence numbers from 1,
// one every `intervalMs`; each reply's RTT read on the host's clock; ICMP errors about the requests
// (host unreachable, TTL exceeded) reported per sequence number; and the summary iputils ping prints
// (transmitted, received, errors, loss, min/avg/max/mdev).
//
// The echo data is what Linux ping sends: an 8-byte timestamp (seconds, microseconds) then bytes
// counting up from 0x08, 56 bytes by default (84 with the headers).

import type { ProbeHost } from './probe-host.ts';
import { NetsimError } from './host-errors.ts';
import { ipv4Number, ipv4Text } from './host-addr.ts';
import type { TimerHandle } from '../base/timer-clock.ts';
import { describeIcmpError } from './icmp-errors.ts';

export interface PingOptions {
  /** Echo requests to send. Default 4. */
  count?: number;
  /** Milliseconds between requests. Default 1000. */
  intervalMs?: number;
  /** How long to wait for each reply after its request (ms). Default 1000. */
  timeoutMs?: number;
  /** Echo data bytes. Default 56. */
  size?: number;
  /** TTL of the requests. Default the host's (64). */
  ttl?: number;
}

export interface PingReply {
  seq: number;
  from: string;
  ttl: number;
  rttMs: number;
  /** ICMP message length (what ping prints as "64 bytes from"). */
  bytes: number;
  /** A second reply to a sequence number already answered. */
  duplicate: boolean;
}

export interface PingErrorReply {
  seq: number;
  from: string;
  type: number;
  code: number;
  message: string;
}

export interface PingStats {
  transmitted: number;
  received: number;
  errors: number;
  duplicates: number;
  /** Percent of requests with no reply. */
  lossPercent: number;
  /** Time from the first request to the end of the run (ms). */
  timeMs: number;
  /** RTT statistics over the (non-duplicate) replies, undefined when none came back. */
  rtt: { min: number; avg: number; max: number; mdev: number } | undefined;
}

export interface PingResult {
  dst: string;
  id: number;
  replies: PingReply[];
  errors: PingErrorReply[];
  stats: PingStats;
  /** The lines ping prints, header to summary. */
  lines: string[];
  /** The lines joined. */
  text(): string;
}

interface Probe {
  seq: number;
  sentAt: number;
  answered: boolean;
  failed: boolean;
  deadline: TimerHandle | undefined;
}

/** Runs ping on `host`. Rejects with ENETUNREACH when there is no route at all, EINVAL on bad options. */
export function ping(host: ProbeHost, dst: string, options: PingOptions = {}): Promise<PingResult> {
  const count = options.count ?? 4;
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 1000;
  const size = options.size ?? 56;
  let target: number;
  try {
    target = ipv4Number(dst);
    check(Number.isInteger(count) && count >= 1 && count <= 65535, `count must be 1 to 65535, got ${options.count}`);
    check(intervalMs >= 0 && Number.isFinite(intervalMs), `intervalMs must be 0 or more, got ${options.intervalMs}`);
    check(timeoutMs > 0 && Number.isFinite(timeoutMs), `timeoutMs must be more than 0, got ${options.timeoutMs}`);
    check(Number.isInteger(size) && size >= 0 && size <= 65507, `size must be 0 to 65507 bytes, got ${options.size}`);
    check(options.ttl === undefined || (Number.isInteger(options.ttl) && options.ttl >= 1 && options.ttl <= 255), `ttl must be 1 to 255, got ${options.ttl}`);
  } catch (e) {
    return Promise.reject(
      e instanceof NetsimError ? new NetsimError(e.code, `ping ${dst}: ${e.reason}`) : new NetsimError('EINVAL', `ping ${dst}: ${(e as Error).message}`),
    );
  }
  const clock = host.clock;
  const id = host.allocateEchoId();
  const probes = new Map<number, Probe>();
  const replies: PingReply[] = [];
  const errors: PingErrorReply[] = [];
  const lines = [`PING ${ipv4Text(target)} (${ipv4Text(target)}) ${size}(${size + 28}) bytes of data.`];
  const start = clock.now();
  let sent = 0;
  let sendTimer: TimerHandle | undefined;

  return new Promise<PingResult>((resolve, reject) => {
    let finished = false;
    const stopEcho = host.onEchoReply((r) => {
      if (r.id !== id || r.from !== target) return;
      const p = probes.get(r.seq);
      if (p === undefined) return;
      const duplicate = p.answered;
      p.answered = true;
      if (p.deadline !== undefined) clock.clearTimer(p.deadline);
      const rttMs = clock.now() - p.sentAt;
      replies.push({ seq: r.seq, from: ipv4Text(r.from), ttl: r.ttl, rttMs, bytes: r.icmpLength, duplicate });
      lines.push(`${r.icmpLength} bytes from ${ipv4Text(r.from)}: icmp_seq=${r.seq} ttl=${r.ttl} time=${replyTime(rttMs)} ms${duplicate ? ' (DUP!)' : ''}`);
      maybeFinish();
    });
    const stopErrors = host.onIcmpError((r) => {
      if (r.quoted.icmpId !== id || r.quoted.dst !== target || r.quoted.icmpSeq === undefined) return;
      const p = probes.get(r.quoted.icmpSeq);
      if (p === undefined || p.failed || p.answered) return;
      p.failed = true;
      if (p.deadline !== undefined) clock.clearTimer(p.deadline);
      const message = describeIcmpError(r.type, r.code);
      errors.push({ seq: p.seq, from: ipv4Text(r.from), type: r.type, code: r.code, message });
      lines.push(`From ${ipv4Text(r.from)} icmp_seq=${p.seq} ${message}`);
      maybeFinish();
    });
    const stopClose = host.onClose(() => fail(new NetsimError('ECLOSED', `${host.name} closed during ping ${dst}`)));

    const cleanup = (): void => {
      finished = true;
      stopEcho();
      stopErrors();
      stopClose();
      if (sendTimer !== undefined) clock.clearTimer(sendTimer);
      for (const p of probes.values()) if (p.deadline !== undefined) clock.clearTimer(p.deadline);
    };
    const fail = (e: Error): void => {
      if (finished) return;
      cleanup();
      reject(e);
    };
    const maybeFinish = (): void => {
      if (finished || sent < count) return;
      for (const p of probes.values()) if (!p.answered && !p.failed && p.deadline !== undefined) return;
      cleanup();
      resolve(result());
    };
    const sendOne = (): void => {
      if (finished) return;
      sendTimer = undefined;
      const seq = (sent + 1) & 0xffff;
      const p: Probe = { seq, sentAt: clock.now(), answered: false, failed: false, deadline: undefined };
      probes.set(seq, p);
      sent++;
      try {
        host.sendEchoRequest(target, id, seq, echoData(size, p.sentAt), options.ttl);
      } catch (e) {
        fail(e instanceof NetsimError ? new NetsimError(e.code, `ping ${dst}: ${e.reason}`) : (e as Error));
        return;
      }
      p.deadline = clock.setTimer(() => {
        p.deadline = undefined;
        maybeFinish();
      }, timeoutMs);
      if (sent < count) sendTimer = clock.setTimer(sendOne, intervalMs);
    };

    const result = (): PingResult => {
      const unique = replies.filter((r) => !r.duplicate);
      const stats: PingStats = {
        transmitted: sent,
        received: unique.length,
        errors: errors.length,
        duplicates: replies.length - unique.length,
        lossPercent: sent === 0 ? 0 : ((sent - unique.length) * 100) / sent,
        timeMs: clock.now() - start,
        rtt: rttStats(unique.map((r) => r.rttMs)),
      };
      const out = [...lines, ...summaryLines(ipv4Text(target), stats)];
      return { dst: ipv4Text(target), id, replies, errors, stats, lines: out, text: () => out.join('\n') };
    };

    sendOne();
  });
}

/** The statistics ping prints after the replies: a blank line, the header, the counts, the RTTs. */
export function summaryLines(target: string, stats: PingStats): string[] {
  const out = ['', `--- ${target} ping statistics ---`];
  const parts = [`${stats.transmitted} packets transmitted`, `${stats.received} received`];
  if (stats.duplicates > 0) parts.push(`+${stats.duplicates} duplicates`);
  if (stats.errors > 0) parts.push(`+${stats.errors} errors`);
  parts.push(`${formatPercent(stats.lossPercent)}% packet loss`, `time ${Math.round(stats.timeMs)}ms`);
  out.push(parts.join(', '));
  if (stats.rtt !== undefined) {
    const r = stats.rtt;
    out.push(`rtt min/avg/max/mdev = ${formatMs(r.min)}/${formatMs(r.avg)}/${formatMs(r.max)}/${formatMs(r.mdev)} ms`);
  }
  return out;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new NetsimError('EINVAL', message);
}

/** The echo data Linux ping sends: a timestamp (seconds, microseconds) then bytes counting from 8. */
export function echoData(size: number, nowMs: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 8; i < size; i++) data[i] = i & 0xff;
  if (size >= 8) {
    const sec = Math.floor(nowMs / 1000) >>> 0;
    const usec = Math.floor((nowMs % 1000) * 1000) >>> 0;
    const v = new DataView(data.buffer);
    // Linux ping writes a native (little-endian on x86) struct timeval; Wireshark reads it either way.
    v.setUint32(0, sec, true);
    v.setUint32(4, usec, true);
  }
  return data;
}

/** min/avg/max/mdev as ping computes them (mdev = sqrt(mean of squares - square of mean)). */
export function rttStats(rtts: readonly number[]): PingStats['rtt'] {
  if (rtts.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sum2 = 0;
  for (const r of rtts) {
    min = Math.min(min, r);
    max = Math.max(max, r);
    sum += r;
    sum2 += r * r;
  }
  const avg = sum / rtts.length;
  const mdev = Math.sqrt(Math.max(0, sum2 / rtts.length - avg * avg));
  return { min, avg, max, mdev };
}

/**
 * A reply's time as iputils ping prints it: from the RTT in whole microseconds, three decimals under
 * 1 ms, two under 10 ms, one under 100 ms, none above (rounded the way ping rounds).
 */
export function replyTime(ms: number): string {
  const us = Math.max(0, Math.floor(ms * 1000 + 1e-6));
  if (us >= 100_000 - 50) return String(Math.floor((us + 500) / 1000));
  if (us >= 10_000 - 5) return `${Math.floor((us + 50) / 1000)}.${Math.floor(((us + 50) % 1000) / 100)}`;
  if (us >= 1000) return `${Math.floor((us + 5) / 1000)}.${String(Math.floor(((us + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** Milliseconds with three decimals, as ping prints them in its summary. */
export function formatMs(ms: number): string {
  return ms.toFixed(3);
}

/** A percentage as C's %g prints it (up to 6 significant digits, no trailing zeros). */
function formatPercent(p: number): string {
  return String(Number(p.toPrecision(6)));
}

// ping for IPv6 link-local addresses from a virtual interface (ndp.ts): ICMPv6 echo requests with one
// identifier per run, sequence numbers from 1, RTTs on the host's clock, and iputils' output for a
// scoped address (`PING fe80::1%eth0(fe80::1%eth0) 56 data bytes`). When neighbour discovery gets no
// answer, each waiting request is reported as "Destination unreachable: Address unreachable" from the
// interface's own address, as Linux reports it.

import { parseIpv6Address } from '../wire/index.ts';
import { ipv6Text } from '../wire/dns-rdata.ts';
import { NetsimError } from './host-errors.ts';
import type { TimerHandle } from '../base/timer-clock.ts';
import type { NdInterface } from './ndp.ts';
import { echoData, replyTime, rttStats, summaryLines, type PingErrorReply, type PingOptions, type PingReply, type PingResult, type PingStats } from './ping.ts';

let nextId = 0x6000;

export function ping6(nd: NdInterface, dst: string, options: Omit<PingOptions, 'ttl'> & { hopLimit?: number } = {}): Promise<PingResult> {
  const count = options.count ?? 4;
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 1000;
  const size = options.size ?? 56;
  let target: Uint8Array;
  try {
    target = parseIpv6Address(dst.replace(/%.*$/, ''));
  } catch (e) {
    return Promise.reject(new NetsimError('EINVAL', `ping6 ${dst}: ${(e as Error).message}`));
  }
  if (
    !(Number.isInteger(count) && count >= 1 && count <= 65535) ||
    !(intervalMs >= 0) ||
    !(timeoutMs > 0) ||
    !(Number.isInteger(size) && size >= 0 && size <= 65487)
  ) {
    return Promise.reject(new NetsimError('EINVAL', `ping6 ${dst}: count 1-65535, intervalMs >= 0, timeoutMs > 0, size 0-65487`));
  }
  const clock = nd.clock;
  const scoped = `${ipv6Text(target)}%${nd.iface.name}`;
  const id = nextId++ & 0xffff;
  const sentAt = new Map<number, number>();
  const done = new Set<number>();
  const deadlines = new Map<number, TimerHandle>();
  const replies: PingReply[] = [];
  const errors: PingErrorReply[] = [];
  const lines = [`PING ${scoped}(${scoped}) ${size} data bytes`];
  const start = clock.now();
  let sent = 0;
  const sameTarget = (a: Uint8Array): boolean => Buffer.compare(a, target) === 0;

  return new Promise<PingResult>((resolve) => {
    const finish = (): void => {
      if (sent < count || deadlines.size > 0) return;
      stopEcho();
      stopFail();
      const unique = replies.filter((r) => !r.duplicate);
      const stats: PingStats = {
        transmitted: sent,
        received: unique.length,
        errors: errors.length,
        duplicates: replies.length - unique.length,
        lossPercent: ((sent - unique.length) * 100) / sent,
        timeMs: clock.now() - start,
        rtt: rttStats(unique.map((r) => r.rttMs)),
      };
      const out = [...lines, ...summaryLines(scoped, stats)];
      resolve({ dst: ipv6Text(target), id, replies, errors, stats, lines: out, text: () => out.join('\n') });
    };
    const settle = (seq: number): void => {
      const t = deadlines.get(seq);
      if (t !== undefined) clock.clearTimer(t);
      deadlines.delete(seq);
      done.add(seq);
    };
    const stopEcho = nd.onEchoReply((r) => {
      if (r.id !== id || !sameTarget(r.from) || !sentAt.has(r.seq)) return;
      const duplicate = done.has(r.seq) && replies.some((x) => x.seq === r.seq);
      const rttMs = clock.now() - (sentAt.get(r.seq) ?? 0);
      replies.push({ seq: r.seq, from: scoped, ttl: r.hopLimit, rttMs, bytes: r.length, duplicate });
      lines.push(`${r.length} bytes from ${scoped}: icmp_seq=${r.seq} ttl=${r.hopLimit} time=${replyTime(rttMs)} ms${duplicate ? ' (DUP!)' : ''}`);
      settle(r.seq);
      finish();
    });
    const stopFail = nd.onUnreachable((t) => {
      if (!sameTarget(t)) return;
      for (const seq of [...deadlines.keys()].sort((a, b) => a - b)) {
        const message = 'Destination unreachable: Address unreachable';
        errors.push({ seq, from: nd.addressText, type: 1, code: 3, message });
        lines.push(`From ${nd.addressText}%${nd.iface.name} icmp_seq=${seq} ${message}`);
        settle(seq);
      }
      finish();
    });
    const sendOne = (): void => {
      const seq = (sent + 1) & 0xffff;
      sent++;
      sentAt.set(seq, clock.now());
      deadlines.set(
        seq,
        clock.setTimer(() => {
          deadlines.delete(seq);
          finish();
        }, timeoutMs),
      );
      nd.sendEchoRequest(target, id, seq, echoData(size, clock.now()), options.hopLimit);
      if (sent < count) clock.setTimer(sendOne, intervalMs);
    };
    sendOne();
  });
}

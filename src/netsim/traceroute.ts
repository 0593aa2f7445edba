// traceroute from a virtual host, the way the classic Unix tool does it: probes with TTL 1, 2, 3...
// (three per hop by default), each to the next UDP port from 33434 (or ICMP echo requests with
// method 'icmp'); each router on the way drops the probe whose TTL runs out and answers with ICMP time
// exceeded, which names the hop; the destination answers with port unreachable (or an echo reply), which
// ends the trace. Each hop is printed with its RTTs, '*' for a probe that got no answer, and !H, !N, !P
// for unreachable answers, as traceroute prints them.

import { ICMP_TYPE_NUM, IP_PROTOCOL } from '../wire/index.ts';
import type { ProbeHost } from './probe-host.ts';
import { NetsimError } from './host-errors.ts';
import { ipv4Number, ipv4Text } from './host-addr.ts';
import type { TimerHandle } from '../base/timer-clock.ts';
import type { IcmpErrorReport } from './icmp-errors.ts';

export interface TracerouteOptions {
  /** Highest TTL tried. Default 30. */
  maxHops?: number;
  /** Probes per hop. Default 3. */
  probes?: number;
  /** Wait for each probe's answer (ms). Default 1000. */
  timeoutMs?: number;
  /** 'udp' (default: to ports from 33434) or 'icmp' (echo requests). */
  method?: 'udp' | 'icmp';
  /** First UDP destination port (each probe takes the next one). Default 33434. */
  firstPort?: number;
  /** Whole packet length (IP header included), as traceroute's packetlen. Default 60. */
  packetLength?: number;
}

export interface TraceProbe {
  /** Who answered, or undefined for a probe with no answer ('*'). */
  from?: string;
  rttMs?: number;
  icmpType?: number;
  icmpCode?: number;
  /** traceroute's mark for an unreachable answer: !H, !N, !P ('' for the usual answers). */
  mark?: string;
}

export interface TraceHop {
  ttl: number;
  probes: TraceProbe[];
}

export interface TracerouteResult {
  dst: string;
  hops: TraceHop[];
  /** True when the destination itself answered. */
  reached: boolean;
  /** The lines traceroute prints. */
  lines: string[];
  text(): string;
}

const UDP_HEADER = 8;
const IP_HEADER = 20;
const ICMP_HEADER = 8;

/** Traces the route from `host` to `dst`. Rejects with ENETUNREACH when there is no route, EINVAL on bad options. */
export async function traceroute(host: ProbeHost, dst: string, options: TracerouteOptions = {}): Promise<TracerouteResult> {
  const maxHops = options.maxHops ?? 30;
  const perHop = options.probes ?? 3;
  const timeoutMs = options.timeoutMs ?? 1000;
  const method = options.method ?? 'udp';
  const firstPort = options.firstPort ?? 33434;
  const packetLength = options.packetLength ?? 60;
  const target = ipv4Number(dst);
  const headers = IP_HEADER + (method === 'udp' ? UDP_HEADER : ICMP_HEADER);
  const bad = (ok: boolean, m: string): void => {
    if (!ok) throw new NetsimError('EINVAL', `traceroute ${dst}: ${m}`);
  };
  bad(Number.isInteger(maxHops) && maxHops >= 1 && maxHops <= 255, `maxHops must be 1 to 255, got ${options.maxHops}`);
  bad(Number.isInteger(perHop) && perHop >= 1 && perHop <= 10, `probes must be 1 to 10, got ${options.probes}`);
  bad(timeoutMs > 0 && Number.isFinite(timeoutMs), `timeoutMs must be more than 0, got ${options.timeoutMs}`);
  bad(method === 'udp' || method === 'icmp', `method must be 'udp' or 'icmp', got '${String(options.method)}'`);
  bad(
    Number.isInteger(firstPort) && firstPort >= 1 && firstPort + maxHops * perHop <= 65536,
    `firstPort ${options.firstPort} leaves no room for ${maxHops * perHop} probes below 65536`,
  );
  bad(
    Number.isInteger(packetLength) && packetLength >= headers && packetLength <= 65535,
    `packetLength must be ${headers} to 65535, got ${options.packetLength}`,
  );

  const data = new Uint8Array(packetLength - headers);
  for (let i = 0; i < data.length; i++) data[i] = 0x40 + (i & 0x3f); // '@ABC...', as traceroute fills it
  const socket = method === 'udp' ? host.udpSocket() : undefined;
  const echoId = method === 'icmp' ? host.allocateEchoId() : 0;
  if (socket !== undefined) {
    socket.bind(0);
    socket.onError(() => {}); // the answers are read from the host's ICMP errors below
  }
  const hops: TraceHop[] = [];
  const lines = [`traceroute to ${ipv4Text(target)} (${ipv4Text(target)}), ${maxHops} hops max, ${packetLength} byte packets`];
  let reached = false;
  let probeIndex = 0;
  try {
    for (let ttl = 1; ttl <= maxHops; ttl++) {
      const hop: TraceHop = { ttl, probes: [] };
      for (let n = 0; n < perHop; n++) {
        const index = probeIndex++;
        hop.probes.push(
          await probe(host, {
            target,
            ttl,
            method,
            socketPort: socket?.port ?? 0,
            dport: firstPort + index,
            echoId,
            seq: index + 1,
            data,
            timeoutMs,
            send: () => {
              if (socket !== undefined) socket.send(data, firstPort + index, ipv4Text(target), { ttl });
              else host.sendEchoRequest(target, echoId, index + 1, data, ttl);
            },
          }),
        );
      }
      hops.push(hop);
      lines.push(hopLine(hop));
      const answers = hop.probes.filter((p) => p.from !== undefined);
      if (answers.some((p) => p.from === ipv4Text(target))) reached = true;
      // traceroute stops after a hop where the destination answered or an unreachable came back.
      if (reached || answers.some((p) => p.mark !== undefined && p.mark !== '')) break;
    }
  } finally {
    socket?.close();
  }
  return { dst: ipv4Text(target), hops, reached, lines, text: () => lines.join('\n') };
}

interface ProbeSpec {
  target: number;
  ttl: number;
  method: 'udp' | 'icmp';
  socketPort: number;
  dport: number;
  echoId: number;
  seq: number;
  data: Uint8Array;
  timeoutMs: number;
  send: () => void;
}

/** Sends one probe and waits for its answer or its timeout. */
function probe(host: ProbeHost, s: ProbeSpec): Promise<TraceProbe> {
  const clock = host.clock;
  return new Promise<TraceProbe>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    let done = false;
    const sentAt = clock.now();
    const finish = (p: TraceProbe): void => {
      if (done) return;
      done = true;
      stopErrors();
      stopEcho();
      stopClose();
      if (timer !== undefined) clock.clearTimer(timer);
      resolve(p);
    };
    const ours = (r: IcmpErrorReport): boolean => {
      const q = r.quoted;
      if (q.dst !== s.target) return false;
      if (s.method === 'udp') return q.protocol === IP_PROTOCOL.UDP && q.srcPort === s.socketPort && q.dstPort === s.dport;
      return q.protocol === IP_PROTOCOL.ICMP && q.icmpId === s.echoId && q.icmpSeq === s.seq;
    };
    const stopErrors = host.onIcmpError((r) => {
      if (!ours(r)) return;
      finish({ from: ipv4Text(r.from), rttMs: clock.now() - sentAt, icmpType: r.type, icmpCode: r.code, mark: markOf(r) });
    });
    const stopEcho = host.onEchoReply((r) => {
      if (s.method !== 'icmp' || r.id !== s.echoId || r.seq !== s.seq || r.from !== s.target) return;
      finish({ from: ipv4Text(r.from), rttMs: clock.now() - sentAt, icmpType: ICMP_TYPE_NUM.ECHO_REPLY, icmpCode: 0, mark: '' });
    });
    const stopClose = host.onClose(() => {
      if (done) return;
      done = true;
      stopErrors();
      stopEcho();
      if (timer !== undefined) clock.clearTimer(timer);
      reject(new NetsimError('ECLOSED', `${host.name} closed during traceroute`));
    });
    try {
      s.send();
    } catch (e) {
      done = true;
      stopErrors();
      stopEcho();
      stopClose();
      reject(e);
      return;
    }
    timer = clock.setTimer(() => finish({}), s.timeoutMs);
  });
}

/** traceroute's annotation of an answer: '' for time exceeded and the destination's port unreachable. */
function markOf(r: IcmpErrorReport): string {
  if (r.type !== ICMP_TYPE_NUM.UNREACHABLE) return '';
  switch (r.code) {
    case 3:
      return '';
    case 0:
      return '!N';
    case 1:
      return '!H';
    case 2:
      return '!P';
    case 13:
      return '!X';
    default:
      return `!<${r.code}>`;
  }
}

/** One hop as traceroute prints it: the TTL, then each probe (the address again when it changes). */
function hopLine(hop: TraceHop): string {
  let line = `${String(hop.ttl).padStart(2)} `;
  let last: string | undefined;
  for (const p of hop.probes) {
    if (p.from === undefined) {
      line += ' *';
      continue;
    }
    if (p.from !== last) line += ` ${p.from}`;
    last = p.from;
    line += `  ${(p.rttMs ?? 0).toFixed(3)} ms${p.mark ? ` ${p.mark}` : ''}`;
  }
  return line;
}

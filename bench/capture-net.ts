// Where bench/real-capture.ts puts its servers: a loopback network (NETLAB_BENCH_NET, default
// 127.77.0.0/16) that tcpdump records whole, and in it the first pair of addresses whose ports are
// free: the HTTP address takes a TCP listener, the DNS address port 53 over UDP and TCP (both tools
// dissect UDP as DNS by that port). Another run, or another person's server, on the first pair moves
// the bench to the next one instead of failing on EADDRINUSE.

import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export const DEFAULT_CAPTURE_NET = '127.77.0.0/16';

export interface CaptureNet {
  /** As tcpdump's `net` takes it: 127.77.0.0/16. */
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
}

const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toText = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** Reads "127.x.y.z/n" (inside 127.0.0.0/8, n from 8 to 30); `from` names where it came from in errors. */
export function parseCaptureNet(text: string, from = 'NETLAB_BENCH_NET'): CaptureNet {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (m === null) throw new RangeError(`${from}: expected a loopback network such as 127.77.0.0/16, got "${text}"`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255)) throw new RangeError(`${from}: "${text}" is not an IPv4 address and prefix`);
  if (octets[0] !== 127) throw new RangeError(`${from}: the bench sends traffic only inside 127.0.0.0/8, got "${text}"`);
  if (bits < 8 || bits > 30) throw new RangeError(`${from}: expected a prefix length from 8 to 30, got /${bits}`);
  const size = 2 ** (32 - bits);
  const first = Math.floor(toInt(octets.join('.')) / size) * size;
  return { cidr: `${toText(first)}/${bits}`, first, last: first + size - 1 };
}

/** The network of NETLAB_BENCH_NET, or the default. */
export function captureNetFromEnv(env: NodeJS.ProcessEnv = process.env): CaptureNet {
  const v = env.NETLAB_BENCH_NET;
  return parseCaptureNet(v === undefined || v === '' ? DEFAULT_CAPTURE_NET : v);
}

function tcpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: address, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * The first pair (x.1 and x.2, then x.3 and x.4, ...) of `net` where a TCP listener binds on the first
 * and `dnsPort` is free over UDP and TCP on the second; at most `tries` pairs are looked at.
 */
export async function pickCaptureAddresses(net: CaptureNet, dnsPort = 53, tries = 16): Promise<{ http: string; dns: string }> {
  const tried: string[] = [];
  for (let i = 0; i < tries; i++) {
    const http = net.first + 1 + 2 * i;
    const dns = http + 1;
    if (dns >= net.last) break;
    const [h, d] = [toText(http), toText(dns)];
    if ((await tcpFree(h, 0)) && (await udpFree(d, dnsPort)) && (await tcpFree(d, dnsPort))) return { http: h, dns: d };
    tried.push(`${h}+${d}`);
  }
  throw new Error(
    `no free pair of addresses in ${net.cidr} (tried ${tried.join(', ') || 'none'}; port ${dnsPort} taken or not bindable): set NETLAB_BENCH_NET to another 127.x network`,
  );
}

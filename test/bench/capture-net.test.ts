// bench/capture-net.ts: the real-traffic capture's network is read from NETLAB_BENCH_NET (default
// 127.77.0.0/16) with errors naming the variable, and the address pair skips one whose port is taken.

import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { captureNetFromEnv, parseCaptureNet, pickCaptureAddresses } from '../../bench/capture-net.ts';

describe('the capture network', () => {
  it('defaults to 127.77.0.0/16 and takes another loopback network from NETLAB_BENCH_NET', () => {
    expect(captureNetFromEnv({}).cidr).toBe('127.77.0.0/16');
    expect(captureNetFromEnv({ NETLAB_BENCH_NET: '127.205.9.77/24' })).toEqual({ cidr: '127.205.9.0/24', first: 0x7fcd0900, last: 0x7fcd09ff });
  });

  it('refuses what is not a 127.x network, naming the variable', () => {
    expect(() => parseCaptureNet('10.0.0.0/8')).toThrow(/^NETLAB_BENCH_NET: the bench sends traffic only inside 127\.0\.0\.0\/8, got "10\.0\.0\.0\/8"/);
    expect(() => parseCaptureNet('127.0.0.1')).toThrow(/^NETLAB_BENCH_NET: expected a loopback network such as 127\.77\.0\.0\/16/);
    expect(() => parseCaptureNet('127.1.2.3/31')).toThrow(/prefix length from 8 to 30, got \/31/);
    expect(() => parseCaptureNet('127.1.2.300/24')).toThrow(/not an IPv4 address/);
  });

  it('picks the first pair whose DNS port is free: a taken port moves it to the next pair', async () => {
    const net = parseCaptureNet('127.205.7.0/24');
    // A high port stands for 53 (binding 53 needs root); first find one free on .2, then hold it there.
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.205.7.2', () => resolve()));
    const port = holder.address().port;
    try {
      expect(await pickCaptureAddresses(net, port)).toEqual({ http: '127.205.7.3', dns: '127.205.7.4' });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    expect(await pickCaptureAddresses(net, port)).toEqual({ http: '127.205.7.1', dns: '127.205.7.2' });
    await expect(pickCaptureAddresses(parseCaptureNet('127.205.7.0/30'), port, 4)).resolves.toEqual({ http: '127.205.7.1', dns: '127.205.7.2' });
  });

  it('says so when no pair is free', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.205.7.2', () => resolve()));
    try {
      await expect(pickCaptureAddresses(parseCaptureNet('127.205.7.0/30'), holder.address().port)).rejects.toThrow(
        /no free pair of addresses in 127\.205\.7\.0\/30 \(tried 127\.205\.7\.1\+127\.205\.7\.2;.*set NETLAB_BENCH_NET/,
      );
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});

// A cluster's sourceAddress on the L4 balancer: spliced TCP connections, TCP health probes and UDP
// session sockets all leave from it. Backends on 127.194.0.2 record the peer address they see.

import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L4Service, type L4Listening } from '../../src/l4/from-config.ts';
import { parseL4Config } from '../../src/proxy/config.ts';
import { dial, readAll, until } from './helpers.ts';

const BACKEND = '127.194.0.2';
const SOURCE = '127.194.0.9';

let tcp: Server;
let udp: DgramSocket;
let service: L4Service;
let listening: L4Listening[];
/** Every TCP connection the backend accepted: from where, and whether it carried data (a probe does not). */
const tcpPeers: { address: string; data: boolean }[] = [];
const udpPeers: string[] = [];

beforeAll(async () => {
  tcp = createServer((s) => {
    const rec = { address: s.remoteAddress ?? '?', data: false };
    tcpPeers.push(rec);
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      rec.data = true;
      s.end(`echo:${c.toString()}`);
    });
  });
  await new Promise<void>((r) => tcp.listen(0, BACKEND, () => r()));
  udp = createSocket('udp4');
  udp.on('message', (m, rinfo) => {
    udpPeers.push(rinfo.address);
    udp.send(m, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, BACKEND, () => r()));
  const tport = (tcp.address() as AddressInfo).port;
  const uport = udp.address().port;
  const config = parseL4Config(
    [
      'listeners:',
      '  - { name: t, address: 127.0.0.1, port: 0, mode: tcp, cluster: tc }',
      '  - { name: u, address: 127.0.0.1, port: 0, mode: udp, cluster: uc }',
      'clusters:',
      `  - name: tc`,
      `    sourceAddress: ${SOURCE}`,
      `    endpoints: [{ address: ${BACKEND}, port: ${tport} }]`,
      '    healthCheck: { type: tcp, intervalMs: 50, timeoutMs: 1000, fall: 1, rise: 1 }',
      `  - name: uc`,
      `    sourceAddress: ${SOURCE}`,
      `    endpoints: [{ address: ${BACKEND}, port: ${uport} }]`,
      '',
    ].join('\n'),
  );
  service = new L4Service(config);
  listening = await service.start();
});

afterAll(async () => {
  await service?.close();
  await new Promise<void>((r) => (tcp ? tcp.close(() => r()) : r()));
  await new Promise<void>((r) => (udp ? udp.close(() => r()) : r()));
});

describe('L4 cluster sourceAddress', () => {
  it('TCP health probes and spliced connections reach the backend from the source address', async () => {
    await until(() => tcpPeers.length > 0, 3000, 'a health probe');
    const t = listening.find((l) => l.name === 't');
    const s = await dial(t?.port ?? 0);
    const r = readAll(s);
    s.write('hi');
    expect((await r).data).toBe('echo:hi');
    expect(tcpPeers.some((p) => p.data)).toBe(true);
    expect(tcpPeers.some((p) => !p.data)).toBe(true);
    expect(new Set(tcpPeers.map((p) => p.address))).toEqual(new Set([SOURCE]));
  });

  it('UDP session sockets are bound to the source address', async () => {
    const u = listening.find((l) => l.name === 'u');
    const c = createSocket('udp4');
    try {
      const reply = new Promise<string>((resolve) => c.once('message', (m) => resolve(m.toString())));
      c.send('ping', u?.port ?? 0, '127.0.0.1');
      expect(await reply).toBe('ping');
      expect(udpPeers).toEqual([SOURCE]);
    } finally {
      await new Promise<void>((r) => c.close(() => r()));
    }
  });
});

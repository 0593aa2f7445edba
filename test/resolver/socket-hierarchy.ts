// The in-memory hierarchy served on real sockets: one UDP and one TCP listener per server address
// (127.53.0.N, all on the same port), answering with FakeHierarchy's logic, so that the socket
// transport, the recursive server and dig can be tested end to end.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { encodeDnsMessage } from '../../src/wire/dns-encode.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';
import type { FakeHierarchy } from './fake-hierarchy.ts';

export interface Served {
  port: number;
  close(): Promise<void>;
}

export async function serveOnSockets(h: FakeHierarchy, addresses: readonly string[]): Promise<Served> {
  const udps: UdpSocket[] = [];
  const tcps: Server[] = [];
  let port = 0;
  for (const address of addresses) {
    const tcp = createServer((s) => {
      const d = new DnsTcpDeframer();
      s.on('error', () => undefined);
      s.on('data', (c: Buffer) => {
        for (const m of d.push(c)) {
          const q = decodeDnsMessage(m);
          if (!q.ok) continue;
          void h.query({ server: { address, port }, question: q.message.questions[0], rd: q.message.flags.rd, tcp: true, edns: false }).then((r) => {
            if (r.ok) s.write(frameDnsTcp(encodeDnsMessage({ ...r.message, id: q.message.id })));
          });
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, address, () => resolve());
    });
    if (port === 0) port = (tcp.address() as AddressInfo).port;
    tcps.push(tcp);
    const udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      const q = decodeDnsMessage(msg);
      if (!q.ok) return;
      void h.query({ server: { address, port }, question: q.message.questions[0], rd: q.message.flags.rd, tcp: false, edns: false }).then((r) => {
        if (r.ok) udp.send(encodeDnsMessage({ ...r.message, id: q.message.id }), rinfo.port, rinfo.address);
      });
    });
    await new Promise<void>((resolve) => udp.bind(port, address, () => resolve()));
    udps.push(udp);
  }
  return {
    port,
    close: async () => {
      for (const u of udps) await new Promise<void>((resolve) => u.close(() => resolve()));
      for (const t of tcps) await new Promise<void>((resolve) => t.close(() => resolve()));
    },
  };
}

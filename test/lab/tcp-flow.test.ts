import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { renderSequence } from '../../src/lab/sequence.ts';
import { tcpFlowDiagram } from '../../src/lab/tcp-flow.ts';

describe('tcpFlowDiagram', () => {
  it('draws a tapped echo: handshake, data, ACKs and the FINs with relative numbers', async () => {
    const tap = new TapRecorder();
    const server = createServer((s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const c = connect({ host: '127.0.0.1', port });
    tap.tcp(c);
    await new Promise<void>((r) => c.once('connect', () => r()));
    const clientPort = c.localPort;
    c.write('hello');
    await new Promise<void>((r) => c.once('data', () => r()));
    c.end();
    await new Promise<void>((r) => c.once('close', () => r()));
    await new Promise<void>((r) => server.close(() => r()));
    await tap.close();
    const spec = tcpFlowDiagram(tap.frames);
    expect(spec.participants).toEqual([`client 127.0.0.1:${clientPort}`, `server 127.0.0.1:${port}`]);
    expect(spec.messages.map((m) => `${m.from}>${m.to} ${m.label}`)).toEqual([
      '0>1 SYN seq=0 mss=1460',
      '1>0 SYN, ACK seq=0 ack=1 mss=1460',
      '0>1 ACK seq=1 ack=1',
      '0>1 PSH, ACK seq=1 ack=1 len=5',
      '1>0 ACK seq=1 ack=6',
      '1>0 PSH, ACK seq=1 ack=6 len=5',
      '0>1 ACK seq=6 ack=6',
      '0>1 FIN, ACK seq=6 ack=6',
      '1>0 ACK seq=6 ack=7',
      '1>0 FIN, ACK seq=6 ack=7',
      '0>1 ACK seq=7 ack=7',
    ]);
    expect(spec.messages[0].time).toBe('0.000 ms');
    expect(renderSequence(spec).length).toBe(13);
  });
});

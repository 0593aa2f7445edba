// A tiny HTTP/1.1 exchange between two virtual hosts across a learning switch, on the virtual TCP:
// the request and the response arrive whole, the server closes after its response, and every frame
// on the wire checks out (IPv4 and TCP checksums, via the wire decoder).

import { describe, expect, it } from 'vitest';
import { decode } from '../../src/wire/index.ts';
import type { VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import { segments, switched } from './tcp-testbed.ts';

/** A server that answers each GET with a fixed body and closes (Connection: close). */
function httpServer(socket: VirtualTcpSocket, body: string): void {
  let req = '';
  socket.on('data', (b) => {
    req += b.toString('latin1');
    const end = req.indexOf('\r\n\r\n');
    if (end < 0) return;
    const [line] = req.split('\r\n');
    const [method, path] = line.split(' ');
    const text = method === 'GET' && path === '/' ? body : 'not found\n';
    const status = method === 'GET' && path === '/' ? '200 OK' : '404 Not Found';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  });
}

describe('HTTP over the virtual TCP', () => {
  it('fetches a page across a switch', async () => {
    const net = switched({ delayMs: 1, tcp: { mslMs: 100 } });
    const body = 'hello from h2\n'.repeat(300); // 4200 bytes: several segments
    net.h2.tcp.listen(80, (s) => httpServer(s, body));
    const client = net.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    let response = '';
    let ended = false;
    client.on('connect', () => client.write('GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: netlab\r\n\r\n'));
    client.on('data', (b) => (response += b.toString('latin1')));
    client.on('end', () => {
      ended = true;
      client.end();
    });
    net.run(2000);
    expect(ended).toBe(true);
    const [head, payload] = response.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(head).toContain(`Content-Length: ${body.length}`);
    expect(payload).toBe(body);
    expect(client.state).toBe('CLOSED');
    // Every TCP segment either host sent decodes whole, with a good checksum.
    let tcpSegments = 0;
    for (const f of net.log) {
      const layers = decode(f.frame, 1, { verifyChecksums: true }).layers;
      for (const l of layers) expect(l.malformed ?? []).toEqual([]);
      const t = layers.find((l) => l.kind === 'tcp');
      if (t === undefined) continue;
      tcpSegments++;
      expect((t.value as { checksumStatus: string }).checksumStatus).toBe('good');
    }
    expect(tcpSegments).toBeGreaterThan(8);
    const segs = segments(net.log);
    expect(segs.filter((s) => s.from === 'h2' && s.len > 0).length).toBeGreaterThanOrEqual(3);
    expect(net.sw.counters('sw1-p1').rxFrames).toBe(net.log.filter((f) => f.from === 'h1').length);
    await net.close();
  });
});

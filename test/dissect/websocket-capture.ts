// A socket-tap capture of a real WebSocket exchange: the `ws` package's client and server on
// 127.193.0.1, the client's connections tapped (the tap sees what the client wrote and read).
// Each connection: the server's greeting right after the 101, a text message, a binary one, a 70 000-byte text (64-bit length), a ping
// answered by a pong, a text message in two frames (a continuation), a pong sent unasked, and a close with a code and a reason; once with
// permessage-deflate negotiated, once without.

import { connect, type NetConnectOpts, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { TapRecorder } from '../../src/capture/socket-tap.ts';

export const WS_HOST = '127.193.0.1';
export const WS_CLIENT = '127.193.0.2';
export const BIG_TEXT = 'abcdefghij'.repeat(7000);

async function conversation(tap: TapRecorder, port: number, deflate: boolean): Promise<string[]> {
  const got: string[] = [];
  const ws = new WebSocket(`ws://${WS_HOST}:${port}/chat`, {
    perMessageDeflate: deflate ? { threshold: 0 } : false,
    createConnection: ((opts: NetConnectOpts) => {
      const s: Socket = connect({ ...opts, localAddress: WS_CLIENT } as NetConnectOpts);
      tap.tcp(s);
      return s;
    }) as never,
  });
  const welcome = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  got.push(await welcome);
  const next = (): Promise<string> =>
    new Promise((resolve) => ws.once('message', (d: Buffer, binary: boolean) => resolve(binary ? `bin:${d.toString('hex')}` : d.toString())));
  ws.send('hello over websocket');
  got.push(await next());
  ws.send(Uint8Array.from([0, 1, 2, 0xfe, 0xff]));
  got.push(await next());
  ws.send(BIG_TEXT);
  got.push(await next());
  // One message in two frames: Text without FIN, then a Continuation with it.
  ws.send('first half, ', { fin: false });
  ws.send('second half', { fin: true });
  got.push(await next());
  const pong = new Promise<string>((resolve) => ws.once('pong', (d: Buffer) => resolve(`pong:${d.toString()}`)));
  ws.ping('are you there');
  got.push(await pong);
  ws.pong('unasked');
  const closed = new Promise<string>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve(`close:${code}:${reason.toString()}`)));
  ws.close(4001, 'done here');
  got.push(await closed);
  return got;
}

/** Writes the capture (fixed: the tap joins what one side sends until the other speaks, so several
 * WebSocket frames share a segment); returns what the client received on each connection. */
export async function writeWebSocketCapture(path: string, fixed = false): Promise<string[][]> {
  const tap = new TapRecorder({ path, fixed });
  const server = new WebSocketServer({ host: WS_HOST, port: 0, perMessageDeflate: { threshold: 0 } });
  server.on('connection', (s) => {
    // Sent at once after the 101: in fixed mode the two share a segment.
    s.send('welcome');
    s.on('message', (d: Buffer, binary: boolean) => s.send(binary ? d : `echo: ${d.length > 100 ? `${d.length} bytes` : d.toString()}`, { binary }));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  try {
    const plain = await conversation(tap, port, false);
    const deflated = await conversation(tap, port, true);
    return [plain, deflated];
  } finally {
    for (const c of server.clients) c.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await tap.close();
  }
}

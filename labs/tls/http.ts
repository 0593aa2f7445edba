// HTTP over the labs' TLS connections: a small HTTP/1.1 responder (GET heads only, keep-alive until
// the client says `connection: close`), a client that asks on an open connection and reads one
// response, and HTTP/2 on a connection whose ALPN chose h2 (node:http2 over the TLS socket).

import { connect as http2Connect, createServer as http2Server, type ClientHttp2Session, type Http2Server } from 'node:http2';
import type { TLSSocket } from 'node:tls';

const MAX_HEAD = 16 * 1024;

/** Answers each request head on `socket` with 200 and a body `NAME: METHOD PATH`; `seen` gets each request line. */
export function serveHttp1(socket: TLSSocket, name: string, seen: string[] = []): void {
  let buf = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    buf += d;
    if (buf.length > MAX_HEAD) {
      socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
      const head = buf.slice(0, end);
      buf = buf.slice(end + 4);
      const line = head.split('\r\n')[0];
      seen.push(line);
      const [method = '', path = ''] = line.split(' ');
      const close = /\r\nconnection:\s*close/i.test(head);
      const body = `${name}: ${method} ${path}\n`;
      const res = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n${body}`;
      if (close) {
        socket.end(res);
        return;
      }
      socket.write(res);
    }
  });
}

/** Sends one request on an open connection and reads one response (status line, headers, body by content-length). */
export function askHttp1(socket: TLSSocket, request: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(got);
    };
    const onData = (d: Buffer | string): void => {
      got += typeof d === 'string' ? d : d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(got.slice(0, end));
      if (len !== null && got.length >= end + 4 + Number(len[1])) done();
    };
    const onClose = (): void => done(got === '' ? new Error('the connection closed before an answer') : undefined);
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(request);
  });
}

/** An HTTP/2 server that takes connections whose TLS handshake is done (ALPN h2). */
export function http2Responder(name: string): Http2Server {
  const server = http2Server();
  server.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end(`${name}: ${String(headers[':method'])} ${String(headers[':path'])} (HTTP/2, :authority ${String(headers[':authority'])})\n`);
  });
  return server;
}

/** One HTTP/2 GET over an established TLS connection; resolves with the status and body. */
export async function http2Get(socket: TLSSocket, authority: string, path: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const session: ClientHttp2Session = http2Connect(`https://${authority}`, { createConnection: () => socket });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no HTTP/2 answer within ${timeoutMs} ms`)), timeoutMs);
      session.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      const req = session.request({ ':method': 'GET', ':path': path, ':authority': authority, ':scheme': 'https' });
      let status = 0;
      let body = '';
      req.setEncoding('utf8');
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        clearTimeout(timer);
        resolve({ status, body });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end();
    });
  } finally {
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }
}

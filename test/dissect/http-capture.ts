// Crafted HTTP/1.x conversations for the HTTP dissector tests: requests and responses cut across
// segments at awkward places, pipelined messages, chunked bodies, bodies that run to the close,
// LF-only lines, bytes outside ASCII, on the registered port, on 8080 and on a port only the
// heuristic finds.

import { Conversation, writeFrames } from './tls-capture.ts';

const te = new TextEncoder();
const b = (s: string): Uint8Array => te.encode(s);
const bin = (s: string, tail: number[]): Uint8Array => Uint8Array.from([...te.encode(s), ...tail]);

export interface HttpScenario {
  about: string;
  build(out: Uint8Array[]): void;
}

const html = '<!doctype html>\n<html>\n<head><title>netlab</title></head>\n<body>\n<p>Hello</p>\n</body>\n</html>\n';

export const HTTP_SCENARIOS: readonly HttpScenario[] = [
  {
    about: 'GET, then a response whose headers are cut in the middle of a line and whose body spans segments',
    build(out) {
      const c = new Conversation(out, 40100, 80, 1000);
      c.send('c', b('GET /index.html HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: netlab-test/1.0\r\nAccept: */*\r\n\r\n'));
      const resp = `HTTP/1.1 200 OK\r\nServer: netlab\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${html.length}\r\nConnection: keep-alive\r\n\r\n${html}`;
      c.send('s', b(resp), [30, 120, 140]);
    },
  },
  {
    about: 'two pipelined requests in one segment, two responses in one segment',
    build(out) {
      const c = new Conversation(out, 40101, 80, 2000);
      c.send('c', b('GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b?x=1&y=2 HTTP/1.1\r\nHost: h\r\n\r\n'));
      c.send(
        's',
        b(
          'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nfirst\nHTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nnot found\n',
        ),
      );
    },
  },
  {
    about: 'a chunked response over three segments, with a chunk extension and a trailer',
    build(out) {
      const c = new Conversation(out, 40102, 80, 3000);
      c.send('c', b('GET /chunks HTTP/1.1\r\nHost: h\r\n\r\n'));
      c.send(
        's',
        b(
          'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\nb;ext=1\r\n, chunked!\n\r\n0\r\nX-Trailer: yes\r\n\r\n',
        ),
        [80, 100],
      );
    },
  },
  {
    about: 'HTTP/1.0 response without a length, closed by the server',
    build(out) {
      const c = new Conversation(out, 40103, 80, 4000);
      c.send('c', b('GET / HTTP/1.0\r\n\r\n'));
      c.send('s', b('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline one\nline two\n'), [40]);
      c.frame('s', 'FA', new Uint8Array(0));
      c.frame('c', 'FA', new Uint8Array(0));
    },
  },
  {
    about: 'a POST with a form body, a 204 with a content type, LF-only lines',
    build(out) {
      const c = new Conversation(out, 40104, 8080, 5000);
      c.send('c', b('POST /form HTTP/1.1\r\nHost: h:8080\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2'));
      c.send('s', b('HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n'));
      c.send('c', b('GET /lf HTTP/1.1\nHost: h\nX-Custom:   spaced value  \n\n'));
      c.send('s', b('HTTP/1.1 200 OK\nContent-Length: 3\nContent-Type: TEXT/Plain\n\nabc'));
    },
  },
  {
    about: 'binary and non-ASCII bodies, an unknown media type, no content type',
    build(out) {
      const c = new Conversation(out, 40105, 80, 6000);
      c.send('c', bin('GET /bin HTTP/1.1\r\nHost: h\r\nUser-Agent: caf\u00e9\r\n\r\n', []));
      c.send('s', bin('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 6\r\n\r\n', [0x41, 0x00, 0x42, 0xc3, 0xa9, 0xff]));
      c.send('c', b('GET /none HTTP/1.1\r\nHost: h\r\n\r\n'));
      c.send('s', bin('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n', [0x61, 0x0a, 0x09, 0x80]));
    },
  },
  {
    about: 'HTTP on a port only the heuristic finds, and a request cut before its first line ends',
    build(out) {
      const c = new Conversation(out, 40106, 9999, 7000);
      c.send('c', b('GET /heur HTTP/1.1\r\nHost: h:9999\r\n\r\n'));
      c.send('s', b('HTTP/1.1 301 Moved Permanently\r\nLocation: http://h/\r\nContent-Length: 0\r\n\r\n'));
      c.send('c', b('GET /cut/in/the/first/line HTTP/1.1\r\nHost: h\r\n\r\n'), [10]);
    },
  },
];

/** Writes every scenario (or the given ones) into one pcapng. */
export async function writeHttpCapture(path: string, scenarios: readonly HttpScenario[] = HTTP_SCENARIOS): Promise<void> {
  const out: Uint8Array[] = [];
  for (const s of scenarios) s.build(out);
  await writeFrames(path, out);
}

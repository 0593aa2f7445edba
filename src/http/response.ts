// The server's side of one exchange: the handler sets a status and fields, writes the body, ends.
// The writer chooses the framing itself (Content-Length when the whole body is known, chunked on
// HTTP/1.1 otherwise, read-until-close on HTTP/1.0), writes Connection as the request and the
// connection's state require, and sends no body for HEAD, 204 and 304 (RFC 9112 §6.3, RFC 9110 §9.3.2).

import { NetlabError } from '../base/errors.ts';
import {
  encodeChunk,
  encodeLastChunk,
  fieldValues,
  invalidFieldValueIndex,
  REASON_PHRASES,
  serializeResponseHead,
  splitList,
  type HttpField,
  type HttpRequestHead,
} from '../wire/http.ts';

/** Fields as a list (order and repeats kept) or a record (one value each). */
export type HttpFieldsInit = readonly HttpField[] | Readonly<Record<string, string | number>>;

export function toFields(init: HttpFieldsInit | undefined): HttpField[] {
  if (init === undefined) return [];
  if (Array.isArray(init)) return [...(init as readonly HttpField[])];
  return Object.entries(init as Record<string, string | number>).map(([name, value]) => ({ name, value: String(value) }));
}

/** What the response writer needs from its connection. */
export interface ResponseSink {
  /** Bytes of this response, in order; the connection writes or holds them (pipelining). */
  output(res: HttpServerResponse, bytes: Uint8Array): boolean;
  /** The response is complete; `close` says the connection must close after it. */
  finished(res: HttpServerResponse): void;
  /** Resolves when output may continue (the socket drained and this response is at the front). */
  drained(res: HttpServerResponse): Promise<void>;
  /** True when this response must announce and perform the close (a draining connection's last one). */
  shouldClose(res: HttpServerResponse): boolean;
  /**
   * A sink that frames messages itself (an HTTP/2 stream): it takes the head as fields and the end
   * with its trailers; output() then gets raw body bytes (no chunked coding, no Connection field).
   */
  readonly framed?: FramedSink;
}

/** The head and the end of a response, for a sink that frames messages itself (HTTP/2). */
export interface FramedSink {
  /** The final head: status and fields (Content-Length kept when known; no connection-specific fields). */
  head(res: HttpServerResponse, status: number, fields: readonly HttpField[]): void;
  /** A 1xx interim head (103 Early Hints). */
  interim(res: HttpServerResponse, status: number, fields: readonly HttpField[]): void;
  /** The body is complete; trailers may follow it. finished() is called after this. */
  end(res: HttpServerResponse, trailers: readonly HttpField[]): void;
}

type Framing = 'length' | 'chunked' | 'close' | 'none' | 'framed';

/**
 * A head relayed from another HTTP/1.x message (a proxy passing on its upstream's response): the
 * field lines in wire form, and the body's length. The writer adds Content-Length and Connection.
 */
export interface RelayedHead {
  /**
   * Complete field lines ("name: value" CRLF each) as latin1 bytes or text, in order. The caller
   * vouches for them (read by netlab's parser or checked by fieldsText) and has removed
   * Content-Length, Transfer-Encoding, Connection and Keep-Alive.
   */
  readonly lines: readonly (Uint8Array | string)[];
  /** The body's length in bytes (sent as Content-Length). */
  readonly length: number;
}

export class HttpServerResponse {
  readonly request: HttpRequestHead;
  private readonly sink: ResponseSink;
  private statusCode = 200;
  private reason: string | undefined;
  private fields: HttpField[] = [];
  /** Set by writeRelayedHead: the head goes out from these lines instead of `fields`. */
  private relayed: RelayedHead | undefined;
  private headSent = false;
  private done = false;
  private abortedFlag = false;
  private framing: Framing = 'none';
  private declaredLength = -1;
  private written = 0;
  /** The connection must close after this response. */
  closeAfter = false;
  /** The response was cut short (declared length not met): the connection is destroyed after it. */
  truncated = false;

  constructor(request: HttpRequestHead, sink: ResponseSink) {
    this.request = request;
    this.sink = sink;
  }

  get status(): number {
    return this.statusCode;
  }

  get headersSent(): boolean {
    return this.headSent;
  }

  get finished(): boolean {
    return this.done;
  }

  /** The exchange was taken over by netlab (a verdict, a closed connection): writes are ignored. */
  get aborted(): boolean {
    return this.abortedFlag;
  }

  /** Sets status and fields; nothing is written until the first write() or end(). */
  writeHead(status: number, fields?: HttpFieldsInit, reason?: string): this {
    if (this.headSent)
      throw new NetlabError('ERR_STATE', 'writeHead after the head was sent', {
        layer: 'http',
      });
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new NetlabError('ERR_ARGUMENT', `final status must be 200..599, got ${status} (interim responses are netlab's)`, { layer: 'http' });
    }
    const list = toFields(fields);
    for (const f of list) {
      const n = f.name.toLowerCase();
      if (n === 'transfer-encoding') throw new NetlabError('ERR_ARGUMENT', 'Transfer-Encoding is chosen by the writer, not the handler', { layer: 'http' });
    }
    this.statusCode = status;
    this.reason = reason;
    this.fields = list;
    this.relayed = undefined;
    return this;
  }

  /**
   * Sets status and a relayed head (field lines as another HTTP/1.x message had them, the body's
   * length), for a body that is not empty by rule (not HEAD, 204 or 304). False, with nothing set,
   * when this response is not written as HTTP/1.x bytes (an HTTP/2 stream frames its own head): then
   * use writeHead.
   */
  writeRelayedHead(status: number, head: RelayedHead, reason?: string): boolean {
    if (this.sink.framed !== undefined) return false;
    if (this.headSent) throw new NetlabError('ERR_STATE', 'writeRelayedHead after the head was sent', { layer: 'http' });
    if (!Number.isInteger(status) || status < 200 || status > 599 || status === 204 || status === 304 || this.request.method === 'HEAD')
      throw new NetlabError('ERR_ARGUMENT', `a relayed head is for a response with a body, not status ${status} to ${this.request.method}`, { layer: 'http' });
    if (!Number.isSafeInteger(head.length) || head.length < 0)
      throw new NetlabError('ERR_ARGUMENT', `body length ${head.length} is not a length`, { layer: 'http' });
    if (reason !== undefined && invalidFieldValueIndex(reason) >= 0)
      throw new NetlabError('ERR_ARGUMENT', `reason phrase ${JSON.stringify(reason)} has control bytes`, { layer: 'http' });
    this.statusCode = status;
    this.reason = reason;
    this.fields = [];
    this.relayed = head;
    return true;
  }

  private bodyless(): boolean {
    return this.request.method === 'HEAD' || this.statusCode === 204 || this.statusCode === 304;
  }

  private sendHead(knownLength: number | undefined): void {
    if (this.sink.framed !== undefined) {
      this.sendFramedHead(this.sink.framed, knownLength);
      return;
    }
    if (this.relayed !== undefined) {
      this.sendRelayedHead(this.relayed);
      return;
    }
    const out: HttpField[] = [];
    let handlerClose = false;
    for (const f of this.fields) {
      const n = f.name.toLowerCase();
      if (n === 'connection') {
        if (splitList(f.value).some((o) => o.toLowerCase() === 'close')) handlerClose = true;
        continue;
      }
      if (n === 'keep-alive') continue;
      if (n === 'content-length') {
        if (!/^[0-9]{1,15}$/.test(f.value))
          throw new NetlabError('ERR_ARGUMENT', `Content-Length ${JSON.stringify(f.value)} is not a number`, { layer: 'http' });
        if (this.declaredLength >= 0)
          throw new NetlabError('ERR_ARGUMENT', 'Content-Length given twice', {
            layer: 'http',
          });
        this.declaredLength = Number(f.value);
        continue;
      }
      out.push(f);
    }
    if (this.statusCode === 204 && this.declaredLength >= 0)
      throw new NetlabError('ERR_ARGUMENT', 'a 204 response has no Content-Length (RFC 9110 §8.6)', { layer: 'http' });
    if (this.declaredLength >= 0) {
      this.framing = this.bodyless() ? 'none' : 'length';
      out.push({ name: 'Content-Length', value: String(this.declaredLength) });
    } else if (this.bodyless()) {
      this.framing = 'none';
      if (this.request.method === 'HEAD' && knownLength !== undefined && knownLength > 0) out.push({ name: 'Content-Length', value: String(knownLength) });
    } else if (knownLength !== undefined) {
      this.framing = 'length';
      this.declaredLength = knownLength;
      out.push({ name: 'Content-Length', value: String(knownLength) });
    } else if (this.request.version === '1.1') {
      this.framing = 'chunked';
      out.push({ name: 'Transfer-Encoding', value: 'chunked' });
    } else {
      this.framing = 'close';
    }
    const close = this.mustClose(handlerClose);
    this.closeAfter = close;
    if (close) out.push({ name: 'Connection', value: 'close' });
    else if (this.request.version === '1.0') out.push({ name: 'Connection', value: 'keep-alive' });
    this.headSent = true;
    const head = serializeResponseHead({
      status: this.statusCode,
      reason: this.reason,
      version: '1.1',
      fields: out,
    });
    this.sink.output(this, head);
  }

  /** The connection closes after this response (the head then says Connection: close). */
  private mustClose(handlerClose: boolean): boolean {
    return (
      this.closeAfter ||
      handlerClose ||
      this.sink.shouldClose(this) ||
      !this.request.keepAlive ||
      this.framing === 'close' ||
      this.request.upgrade.length > 0 ||
      this.request.method === 'CONNECT'
    );
  }

  /**
   * A relayed head: the status line, the relayed lines as they are, then Content-Length and Connection
   * as sendHead writes them (same order, same rules), into one buffer.
   */
  private sendRelayedHead(head: RelayedHead): void {
    const reason = this.reason ?? REASON_PHRASES[this.statusCode] ?? '';
    this.declaredLength = head.length;
    this.framing = 'length';
    const close = this.mustClose(false);
    this.closeAfter = close;
    const start = `HTTP/1.1 ${this.statusCode} ${reason}\r\n`;
    const tail = `Content-Length: ${head.length}\r\n${close ? 'Connection: close\r\n' : this.request.version === '1.0' ? 'Connection: keep-alive\r\n' : ''}\r\n`;
    // Status line and tail are ASCII apart from the reason (latin1, one byte per char, like the lines).
    let n = start.length + tail.length;
    const lines = head.lines;
    for (let i = 0; i < lines.length; i++) n += lines[i].length;
    const out = Buffer.allocUnsafe(n);
    let o = out.write(start, 0, 'latin1');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (typeof l === 'string') o += out.write(l, o, 'latin1');
      else {
        out.set(l, o);
        o += l.length;
      }
    }
    out.write(tail, o, 'latin1');
    this.headSent = true;
    this.sink.output(this, out);
  }

  /** The head for a sink that frames messages itself: connection-specific fields never go out. */
  private sendFramedHead(framed: FramedSink, knownLength: number | undefined): void {
    const out: HttpField[] = [];
    for (const f of this.fields) {
      const n = f.name.toLowerCase();
      if (n === 'connection' || n === 'keep-alive' || n === 'proxy-connection' || n === 'upgrade' || n === 'te') continue;
      if (n === 'content-length') {
        if (!/^[0-9]{1,15}$/.test(f.value))
          throw new NetlabError('ERR_ARGUMENT', `Content-Length ${JSON.stringify(f.value)} is not a number`, { layer: 'http' });
        if (this.declaredLength >= 0) throw new NetlabError('ERR_ARGUMENT', 'Content-Length given twice', { layer: 'http' });
        this.declaredLength = Number(f.value);
        continue;
      }
      out.push(f);
    }
    if (this.statusCode === 204 && this.declaredLength >= 0)
      throw new NetlabError('ERR_ARGUMENT', 'a 204 response has no Content-Length (RFC 9110 §8.6)', { layer: 'http' });
    if (this.declaredLength < 0 && knownLength !== undefined && (!this.bodyless() || (this.request.method === 'HEAD' && knownLength > 0)))
      this.declaredLength = knownLength;
    if (this.declaredLength >= 0 && this.statusCode !== 304) out.push({ name: 'Content-Length', value: String(this.declaredLength) });
    this.framing = this.bodyless() ? 'none' : this.declaredLength >= 0 ? 'length' : 'framed';
    this.headSent = true;
    framed.head(this, this.statusCode, out);
  }

  /**
   * Sends the head now, before any body byte (the framing chosen as for a body of unknown length):
   * for a stream whose first bytes may be a long time coming (Server-Sent Events), so the client
   * sees the status at once instead of when the first event arrives.
   */
  flushHead(): void {
    if (this.abortedFlag || this.done || this.headSent) return;
    this.sendHead(undefined);
  }

  /** Writes body bytes (a string is UTF-8). Returns false when the caller should await drained(). */
  write(data: Uint8Array | string): boolean {
    if (this.abortedFlag || this.done) return false;
    if (!this.headSent) this.sendHead(undefined);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0) return true;
    if (this.framing === 'none') return true;
    if (this.framing === 'length' && this.written + bytes.length > this.declaredLength) {
      throw new NetlabError('ERR_ARGUMENT', `body exceeds the declared Content-Length ${this.declaredLength}`, { layer: 'http' });
    }
    this.written += bytes.length;
    return this.sink.output(this, this.framing === 'chunked' ? encodeChunk(bytes) : bytes);
  }

  /** Resolves when more may be written without piling up in memory. */
  drained(): Promise<void> {
    return this.sink.drained(this);
  }

  /** Ends the response, with optional last bytes and (chunked only) trailer fields. */
  end(data?: Uint8Array | string, trailers?: HttpFieldsInit): void {
    if (this.abortedFlag || this.done) return;
    const bytes = data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (!this.headSent) this.sendHead(bytes?.length ?? 0);
    if (bytes !== undefined && bytes.length > 0) this.write(bytes);
    if (this.framing === 'chunked') this.sink.output(this, encodeLastChunk(toFields(trailers)));
    if (this.framing === 'length' && this.written < this.declaredLength) {
      this.truncated = true;
      this.closeAfter = true;
    }
    if (this.sink.framed !== undefined && !this.truncated) this.sink.framed.end(this, toFields(trailers));
    this.done = true;
    this.sink.finished(this);
  }

  /** A complete response netlab writes itself (an error, 417), replacing the handler's. */
  writeOwn(status: number, body: string, extraFields: readonly HttpField[] = []): void {
    if (this.done) return;
    if (this.headSent) {
      this.abortCut();
      return;
    }
    this.closeAfter = true;
    const text = Buffer.from(body, 'utf8');
    const fields: HttpField[] = [...extraFields, { name: 'Content-Type', value: 'text/plain; charset=utf-8' }];
    this.fields = fields;
    this.statusCode = status;
    this.reason = undefined;
    this.sendHead(text.length);
    if (!this.bodyless()) this.sink.output(this, text);
    this.written = text.length;
    this.sink.framed?.end(this, []);
    this.done = true;
    this.abortedFlag = true;
    this.sink.finished(this);
  }

  /** Ends an exchange whose head already went out: the connection is destroyed after what was written. */
  abortCut(): void {
    if (this.done) return;
    this.truncated = true;
    this.closeAfter = true;
    this.done = true;
    this.abortedFlag = true;
    this.sink.finished(this);
  }

  /** Marks the response dead without writing (the connection is gone). */
  markAborted(): void {
    this.abortedFlag = true;
    this.done = true;
  }

  /**
   * Sends a 1xx interim response (103 Early Hints, or a 1xx a proxy relays) before the final one.
   * 100 is netlab's to send (when the handler reads a body that expects it) and 101 belongs to takeOver().
   */
  writeInterim(status: number, fields?: HttpFieldsInit): void {
    if (!Number.isInteger(status) || status < 102 || status > 199) {
      throw new NetlabError('ERR_ARGUMENT', `interim status must be 102..199, got ${status}`, { layer: 'http' });
    }
    if (this.headSent || this.done) throw new NetlabError('ERR_STATE', 'writeInterim after the final head', { layer: 'http' });
    if (this.request.version === '1.0') return; // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client
    if (this.sink.framed !== undefined) {
      this.sink.framed.interim(this, status, toFields(fields));
      return;
    }
    this.sink.output(this, serializeResponseHead({ status, fields: toFields(fields) }));
  }

  /** Writes an interim or switching response head (100, 101, or 200 to CONNECT) straight through. */
  writeInterimHead(status: number, fields: readonly HttpField[]): void {
    if (this.sink.framed !== undefined) {
      if (status >= 102 && status < 200) this.sink.framed.interim(this, status, fields);
      return;
    }
    this.sink.output(this, serializeResponseHead({ status, fields }));
  }

  /** Fields the handler set so far (names as given). */
  get headerFields(): readonly HttpField[] {
    return this.fields;
  }

  /** True when the handler's fields include `name` (case-insensitive). */
  hasField(name: string): boolean {
    return fieldValues(this.fields, name).length > 0;
  }
}

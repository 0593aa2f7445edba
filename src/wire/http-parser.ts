// The streaming HTTP/1.x parser (RFC 9112). Feed it chunks as they arrive, in any sizes; it hands
// back events in order: a head, body bytes after transfer decoding, trailers, the end of each
// message. It keeps only the bytes of the line it is in the middle of; body bytes pass straight
// through. The first rule broken ends the stream with a verdict (reason code + status), after which
// the parser takes no more input: the connection must close, never resynchronise.

import { NetlabError } from '../base/errors.ts';
import { buildRequestHead, buildResponseHead, makeVerdict, parseRequestLine, parseStatusLine, type RequestLine, type StatusLine } from './http-head.ts';
import { describeByte, isHexDigit, isTchar, latin1 } from './http-syntax.ts';
import { DEFAULT_HTTP_LIMITS, type HttpEvent, type HttpField, type HttpHead, type HttpLimits, type HttpVerdict, type HttpVerdictCode } from './http-types.ts';

export type HttpParserRole = 'request' | 'response';

export interface HttpParserOptions {
  /** 'request': a server reading requests; 'response': a client reading responses. */
  readonly role: HttpParserRole;
  readonly limits?: Partial<HttpLimits>;
  /**
   * Hand out each head's field section as received (the 'head' event's `raw`) when the whole head
   * came in one push: a proxy relays those bytes instead of serializing the fields again.
   */
  readonly keepRawHead?: boolean;
}

/** Where the parser is. 'done': a message without keep-alive ended; later bytes are ignored. */
export type HttpParserState =
  | 'start'
  | 'fields'
  | 'body'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-crlf'
  | 'trailers'
  | 'body-until-close'
  | 'paused'
  | 'detached'
  | 'done'
  | 'failed';

/** A growable byte buffer with a read position: holds the partial line between pushes. */
class Pending {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  append(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + bytes.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Drops the first n bytes. */
  consume(n: number): void {
    if (n >= this.len) {
      this.len = 0;
      if (this.buf.length > 65536) this.buf = new Uint8Array(256);
      return;
    }
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Incremental HTTP/1.x parser for one direction of one connection.
 *
 *   const p = new HttpParser({ role: 'request' });
 *   for (const ev of p.push(chunk)) ...   // 'head' | 'data' | 'trailers' | 'end' | 'paused' | 'error'
 *   p.finish();                           // the peer closed: ends a read-until-close body
 */
export class HttpParser {
  readonly role: HttpParserRole;
  readonly limits: HttpLimits;
  private st: HttpParserState = 'start';
  private readonly pending = new Pending();
  /** Absolute offset of the first byte in `pending` (or of the chunk when pending is empty). */
  private base = 0;
  /** Bytes of the current partial line already scanned (relative to its start). */
  private lineScan = 0;
  private emptyLines = 0;
  private requestLine: RequestLine | undefined;
  private statusLine: StatusLine | undefined;
  private fields: HttpField[] = [];
  private sectionBytes = 0;
  private headStart = 0;
  private remaining = 0;
  private bodyBytes = 0;
  private current: HttpHead | undefined;
  private verdictValue: HttpVerdict | undefined;
  private readonly methods: string[] = [];
  private messageCount = 0;
  private out: HttpEvent[] = [];
  private copyData = false;
  private readonly keepRaw: boolean;
  /** The bytes the current head's start line was read from, and where its field section starts in them. */
  private rawView: Uint8Array | undefined;
  private rawStart = 0;
  /** The field section of the head being ended (endHead hands it out with the head). */
  private raw: Uint8Array | undefined;

  constructor(options: HttpParserOptions) {
    this.role = options.role;
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    this.keepRaw = options.keepRawHead === true;
  }

  get state(): HttpParserState {
    return this.st;
  }

  /** The fatal verdict, once there is one. */
  get verdict(): HttpVerdict | undefined {
    return this.verdictValue;
  }

  /** Complete messages parsed so far (1xx interim responses included). */
  get messages(): number {
    return this.messageCount;
  }

  /** True between messages (nothing of the next one has arrived yet). */
  get idle(): boolean {
    return this.st === 'start' && this.pending.length === 0;
  }

  /** Bytes held while paused (or of a partial line). */
  get buffered(): number {
    return this.pending.length;
  }

  /**
   * Response role: the method of the next request sent on this connection, in order. A response with
   * no method queued is read as the answer to a GET.
   */
  expectResponse(method: string): void {
    this.methods.push(method);
  }

  /**
   * Feeds bytes; returns the events they complete. After a verdict returns [] (input is refused).
   * `reused`: the chunk's memory is written over after this call (a socket read into one buffer), so
   * the body bytes and raw heads handed out are copies, never views of it.
   */
  push(chunk: Uint8Array, reused = false): HttpEvent[] {
    if (this.st === 'detached')
      throw new NetlabError('ERR_STATE', 'HttpParser.push after detach()', {
        layer: 'wire',
      });
    if (this.st === 'failed' || this.st === 'done') return [];
    if (chunk.length === 0) return [];
    if (this.st === 'paused') {
      this.pending.append(chunk);
      return [];
    }
    this.out = [];
    if (this.pending.length === 0) {
      this.copyData = reused;
      const used = this.run(chunk);
      if (used < chunk.length && !this.finishedInput()) this.pending.append(chunk.subarray(used));
      this.base += used;
    } else {
      this.pending.append(chunk);
      this.copyData = true;
      const used = this.run(this.pending.view());
      this.pending.consume(this.finishedInput() ? this.pending.length : used);
      this.base += used;
    }
    // A head left half-way continues in other bytes: its field section is not in one view.
    this.rawView = undefined;
    return this.out;
  }

  /**
   * The peer closed its side. Ends a body read until close; anything else left half-way becomes an
   * 'incomplete-message' verdict.
   */
  finish(): HttpEvent[] {
    this.out = [];
    switch (this.st) {
      case 'body-until-close':
        this.endMessage();
        this.st = 'done';
        break;
      case 'start':
        if (this.pending.length > 0) this.fail('incomplete-message', 'connection closed inside a start line', this.base + this.pending.length);
        break;
      case 'fields':
      case 'body':
      case 'chunk-size':
      case 'chunk-data':
      case 'chunk-crlf':
      case 'trailers':
        this.fail('incomplete-message', `connection closed before the message ended (in ${this.st})`, this.base + this.pending.length);
        break;
      default:
        break;
    }
    return this.out;
  }

  /** Paused after an Upgrade/CONNECT message that was not switched: parse the held bytes as HTTP. */
  resume(): HttpEvent[] {
    if (this.st !== 'paused') throw new NetlabError('ERR_STATE', `HttpParser.resume in state ${this.st}`, { layer: 'wire' });
    this.st = 'start';
    if (this.pending.length === 0) return [];
    this.out = [];
    this.copyData = true;
    const used = this.run(this.pending.view());
    this.pending.consume(this.finishedInput() ? this.pending.length : used);
    this.base += used;
    this.rawView = undefined;
    return this.out;
  }

  /** Paused: the connection leaves HTTP. Returns the bytes that followed the message; the parser is finished. */
  detach(): Uint8Array {
    if (this.st !== 'paused') throw new NetlabError('ERR_STATE', `HttpParser.detach in state ${this.st}`, { layer: 'wire' });
    const rest = this.pending.view().slice();
    this.pending.consume(this.pending.length);
    this.st = 'detached';
    return rest;
  }

  /** The input is over for good (a verdict, or the last message of the connection). */
  private finishedInput(): boolean {
    const s: HttpParserState = this.st;
    return s === 'failed' || s === 'done';
  }

  /** Parsing must stop here (the state may have been changed by a call). */
  private stopped(): boolean {
    const s: HttpParserState = this.st;
    return s === 'failed' || s === 'done' || s === 'paused';
  }

  private status(code: HttpVerdictCode): number {
    if (this.role === 'response') return 502;
    switch (code) {
      case 'start-line-too-long':
        return 414;
      case 'header-section-too-large':
      case 'too-many-fields':
        return 431;
      case 'body-too-large':
        return 413;
      case 'te-unsupported':
        return 501;
      case 'version-unsupported':
        return 505;
      default:
        return 400;
    }
  }

  private fail(code: HttpVerdictCode, message: string, offset: number, status?: number): void {
    const v = makeVerdict(code, status ?? this.status(code), message, offset);
    this.failWith(v);
  }

  private failWith(v: HttpVerdict): void {
    this.verdictValue = v;
    this.st = 'failed';
    this.out.push({ type: 'error', verdict: v });
  }

  /**
   * Finds the end of the line starting at `pos`: returns the index of its CR (the line is [pos, cr),
   * the next one starts at cr + 2), -1 when more bytes are needed, or -2 after a verdict.
   */
  private scanLine(v: Uint8Array, pos: number, max: number, tooLong: HttpVerdictCode, what: string): number {
    let i = pos + this.lineScan;
    const end = v.length;
    while (i < end) {
      const b = v[i];
      if (b === CR) {
        if (i + 1 >= end) break;
        if (v[i + 1] !== LF) {
          this.fail('bare-cr', `CR not followed by LF in ${what} (RFC 9112 §2.2)`, this.base + i);
          return -2;
        }
        if (i - pos > max) break;
        this.lineScan = 0;
        return i;
      }
      if (b === LF) {
        this.fail('bare-lf', `LF without CR in ${what}: lines end with CRLF`, this.base + i);
        return -2;
      }
      if ((b < 0x20 && b !== 0x09) || b === 0x7f) {
        this.fail('control-char', `${describeByte(b)} in ${what}`, this.base + i);
        return -2;
      }
      i++;
      if (i - pos > max) break;
    }
    if (i - pos > max) {
      this.fail(tooLong, `${what} longer than ${max} bytes`, this.base + pos);
      return -2;
    }
    this.lineScan = i - pos;
    return -1;
  }

  /** Runs the state machine over `v`; returns how many bytes it consumed. */
  private run(v: Uint8Array): number {
    let pos = 0;
    const L = this.limits;
    while (pos < v.length) {
      switch (this.st) {
        case 'start': {
          const isReq = this.role === 'request';
          const cr = this.scanLine(v, pos, L.maxStartLineBytes, 'start-line-too-long', isReq ? 'the request line' : 'the status line');
          if (cr === -2) return pos;
          if (cr === -1) return pos;
          if (cr === pos && isReq) {
            // RFC 9112 §2.2: empty lines before a request line are ignored (a bounded number).
            if (++this.emptyLines > L.maxLeadingEmptyLines) {
              this.fail('leading-empty-lines', `more than ${L.maxLeadingEmptyLines} empty lines before a request line`, this.base + pos);
              return pos;
            }
            pos = cr + 2;
            continue;
          }
          const line = latin1(v, pos, cr);
          this.headStart = this.base + pos;
          if (isReq) {
            const r = parseRequestLine(line, this.base + pos);
            if ('code' in r) {
              this.failWith(r);
              return pos;
            }
            this.requestLine = r;
          } else {
            const r = parseStatusLine(line, this.base + pos);
            if ('code' in r) {
              this.failWith(r);
              return pos;
            }
            this.statusLine = r;
          }
          this.fields = [];
          this.sectionBytes = 0;
          this.emptyLines = 0;
          this.st = 'fields';
          pos = cr + 2;
          if (this.keepRaw) {
            this.rawView = v;
            this.rawStart = pos;
          }
          break;
        }
        case 'fields':
        case 'trailers': {
          const trailers = this.st === 'trailers';
          const what = trailers ? 'the trailer section' : 'the header section';
          const budget = L.maxHeaderBytes - this.sectionBytes - 2;
          if (budget < 0) {
            this.fail('header-section-too-large', `${what} larger than ${L.maxHeaderBytes} bytes`, this.base + pos);
            return pos;
          }
          const cr = this.scanLine(v, pos, budget, 'header-section-too-large', what);
          if (cr < 0) return pos;
          const lineStart = pos;
          pos = cr + 2;
          this.sectionBytes += cr - lineStart + 2;
          if (cr === lineStart) {
            if (trailers) this.endTrailers();
            else {
              // The whole head in these bytes (the view of one push): its field section as received. A
              // view of the pushed chunk is kept as it is; bytes of the parser's own buffer are copied.
              if (this.rawView === v) this.raw = this.copyData ? new Uint8Array(v.subarray(this.rawStart, lineStart)) : v.subarray(this.rawStart, lineStart);
              this.rawView = undefined;
              this.endHead();
              this.raw = undefined;
            }
            if (this.stopped()) return pos;
            break;
          }
          const b0 = v[lineStart];
          if ((b0 === 0x20 || b0 === 0x09) && this.fields.length === 0 && !trailers) {
            this.fail('whitespace-after-start-line', 'whitespace between the start line and the first field (RFC 9112 §2.2)', this.base + lineStart);
            return lineStart;
          }
          if (b0 === 0x20 || b0 === 0x09) {
            this.fail('obs-fold', `obs-fold (a field line starting with whitespace) in ${what} (RFC 9112 §5.2)`, this.base + lineStart);
            return lineStart;
          }
          const f = this.fieldLine(v, lineStart, cr, what);
          if (f === undefined) return lineStart;
          if (this.fields.length >= L.maxHeaderCount) {
            this.fail('too-many-fields', `more than ${L.maxHeaderCount} field lines in ${what}`, this.base + lineStart);
            return lineStart;
          }
          this.fields.push(f);
          break;
        }
        case 'body': {
          const n = Math.min(this.remaining, v.length - pos);
          this.emitData(v, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.endMessage();
            if (this.stopped()) return pos;
          }
          break;
        }
        case 'body-until-close': {
          this.emitData(v, pos, v.length);
          pos = v.length;
          break;
        }
        case 'chunk-size': {
          const cr = this.scanLine(v, pos, L.maxChunkLineBytes, 'chunk-line-too-long', 'a chunk-size line');
          if (cr < 0) return pos;
          const size = this.chunkLine(v, pos, cr);
          if (size < 0) return pos;
          pos = cr + 2;
          if (size === 0) {
            this.fields = [];
            this.sectionBytes = 0;
            this.st = 'trailers';
          } else {
            this.remaining = size;
            this.st = 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, v.length - pos);
          this.emitData(v, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.st = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf': {
          if (v[pos] !== CR) {
            this.fail(
              'chunk-data-crlf-missing',
              `chunk data not followed by CRLF: ${describeByte(v[pos])} where CR belongs (chunk longer than its size?)`,
              this.base + pos,
            );
            return pos;
          }
          if (pos + 1 >= v.length) return pos;
          if (v[pos + 1] !== LF) {
            this.fail('chunk-data-crlf-missing', `chunk data followed by CR and ${describeByte(v[pos + 1])}, not CRLF`, this.base + pos + 1);
            return pos;
          }
          pos += 2;
          this.st = 'chunk-size';
          break;
        }
        case 'paused':
        case 'done':
        case 'failed':
        case 'detached':
          return pos;
      }
    }
    return pos;
  }

  private emitData(v: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    // A copy is a new Uint8Array (slice() on a Buffer would be a view, not a copy).
    const bytes = this.copyData ? new Uint8Array(v.subarray(start, end)) : v.subarray(start, end);
    this.out.push({ type: 'data', bytes });
  }

  /** Parses name ":" OWS value OWS (RFC 9112 §5). Returns undefined after a verdict. */
  private fieldLine(v: Uint8Array, start: number, end: number, what: string): HttpField | undefined {
    let colon = -1;
    for (let i = start; i < end; i++) {
      if (v[i] === 0x3a) {
        colon = i;
        break;
      }
    }
    if (colon < 0) {
      this.fail('field-line-invalid', `field line without a colon in ${what}`, this.base + start);
      return undefined;
    }
    if (colon === start) {
      this.fail('field-name-invalid', `empty field name in ${what}`, this.base + start);
      return undefined;
    }
    for (let i = start; i < colon; i++) {
      const b = v[i];
      if (isTchar(b)) continue;
      if ((b === 0x20 || b === 0x09) && !hasTcharAfter(v, i, colon)) {
        this.fail('space-before-colon', `whitespace between a field name and its colon in ${what} (RFC 9112 §5.1: 400)`, this.base + i);
      } else {
        this.fail('field-name-invalid', `${describeByte(b)} in a field name (names are tokens, RFC 9110 §5.1)`, this.base + i);
      }
      return undefined;
    }
    let vs = colon + 1;
    let ve = end;
    while (vs < ve && (v[vs] === 0x20 || v[vs] === 0x09)) vs++;
    while (ve > vs && (v[ve - 1] === 0x20 || v[ve - 1] === 0x09)) ve--;
    // Control bytes, CR and LF were refused by scanLine; the rest (VCHAR, obs-text, SP, HTAB) is allowed.
    return { name: latin1(v, start, colon), value: latin1(v, vs, ve) };
  }

  /** Parses chunk-size [chunk-ext] (RFC 9112 §7.1). Returns the size, or -1 after a verdict. */
  private chunkLine(v: Uint8Array, start: number, end: number): number {
    let i = start;
    let size = 0;
    while (i < end && isHexDigit(v[i])) {
      size = size * 16 + Number.parseInt(String.fromCharCode(v[i]), 16);
      if (size > Number.MAX_SAFE_INTEGER) {
        this.fail('chunk-size-too-large', 'chunk size does not fit in 53 bits', this.base + start);
        return -1;
      }
      i++;
    }
    if (i === start) {
      this.fail('chunk-size-invalid', `chunk size must start with a hex digit, found ${i < end ? describeByte(v[i]) : 'end of line'}`, this.base + i);
      return -1;
    }
    // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
    let inExt = false;
    while (i < end) {
      const ws = i;
      while (i < end && (v[i] === 0x20 || v[i] === 0x09)) i++;
      if (i === end || v[i] !== 0x3b) {
        const code: HttpVerdictCode = inExt ? 'chunk-ext-invalid' : 'chunk-size-invalid';
        if (i === end) this.fail(code, 'whitespace at the end of a chunk-size line (only "BWS ;" may follow)', this.base + ws);
        else this.fail(code, `${describeByte(v[i])} where a chunk extension ";" or CRLF belongs`, this.base + i);
        return -1;
      }
      inExt = true;
      i++;
      while (i < end && (v[i] === 0x20 || v[i] === 0x09)) i++;
      const ns = i;
      while (i < end && isTchar(v[i])) i++;
      if (i === ns) {
        this.fail('chunk-ext-invalid', 'chunk extension without a name', this.base + i);
        return -1;
      }
      let j = i;
      while (j < end && (v[j] === 0x20 || v[j] === 0x09)) j++;
      if (j < end && v[j] === 0x3d) {
        j++;
        while (j < end && (v[j] === 0x20 || v[j] === 0x09)) j++;
        if (j < end && v[j] === 0x22) {
          j++;
          let closed = false;
          while (j < end) {
            const b = v[j];
            if (b === 0x22) {
              closed = true;
              j++;
              break;
            }
            if (b === 0x5c) {
              if (j + 1 >= end) break;
              j += 2;
              continue;
            }
            j++;
          }
          if (!closed) {
            this.fail('chunk-ext-invalid', 'unterminated quoted-string in a chunk extension', this.base + j);
            return -1;
          }
        } else {
          const vs = j;
          while (j < end && isTchar(v[j])) j++;
          if (j === vs) {
            this.fail('chunk-ext-invalid', 'chunk extension "=" without a value', this.base + j);
            return -1;
          }
        }
        i = j;
      }
    }
    if (size > 0 && this.bodyBytes + size > this.limits.maxBodyBytes) {
      this.fail('body-too-large', `chunked body exceeds the limit of ${this.limits.maxBodyBytes} bytes`, this.base + start);
      return -1;
    }
    this.bodyBytes += size;
    return size;
  }

  private endHead(): void {
    const offset = this.headStart;
    let head: HttpHead | HttpVerdict;
    if (this.role === 'request') {
      const line = this.requestLine;
      if (line === undefined)
        throw new NetlabError('ERR_STATE', 'no request line', {
          layer: 'wire',
        });
      head = buildRequestHead(line, this.fields, this.limits.maxBodyBytes, offset);
    } else {
      const line = this.statusLine;
      if (line === undefined) throw new NetlabError('ERR_STATE', 'no status line', { layer: 'wire' });
      const method = line.status >= 100 && line.status < 200 && line.status !== 101 ? (this.methods[0] ?? 'GET') : (this.methods.shift() ?? 'GET');
      head = buildResponseHead(line, this.fields, method, this.limits.maxBodyBytes, offset);
    }
    if ('code' in head) {
      this.failWith(head);
      return;
    }
    this.current = head;
    this.bodyBytes = 0;
    this.out.push(this.raw === undefined ? { type: 'head', head } : { type: 'head', head, raw: this.raw });
    switch (head.framing.kind) {
      case 'none':
        this.endMessage();
        break;
      case 'length':
        this.remaining = head.framing.length;
        this.bodyBytes = head.framing.length;
        this.st = 'body';
        break;
      case 'chunked':
        this.st = 'chunk-size';
        break;
      case 'close':
        this.st = 'body-until-close';
        break;
    }
  }

  private endTrailers(): void {
    if (this.fields.length > 0) this.out.push({ type: 'trailers', fields: this.fields });
    this.endMessage();
  }

  private endMessage(): void {
    const head = this.current;
    this.out.push({ type: 'end' });
    this.messageCount++;
    this.fields = [];
    this.lineScan = 0;
    this.st = 'start';
    if (head === undefined) return;
    if (head.type === 'request') {
      if (head.method === 'CONNECT') {
        this.st = 'paused';
        this.out.push({ type: 'paused', reason: 'connect' });
      } else if (head.upgrade.length > 0) {
        this.st = 'paused';
        this.out.push({ type: 'paused', reason: 'upgrade' });
      } else if (!head.keepAlive) this.st = 'done';
    } else {
      if (head.status === 101) {
        this.st = 'paused';
        this.out.push({ type: 'paused', reason: 'upgrade' });
      } else if (head.requestMethod === 'CONNECT' && head.status >= 200 && head.status < 300) {
        this.st = 'paused';
        this.out.push({ type: 'paused', reason: 'connect' });
      } else if (head.status >= 200 && !head.keepAlive) this.st = 'done';
    }
    this.current = undefined;
  }
}

/** True when a tchar follows position i before `end` (whitespace inside a name, not before the colon). */
function hasTcharAfter(v: Uint8Array, i: number, end: number): boolean {
  for (let k = i; k < end; k++) if (isTchar(v[k])) return true;
  return false;
}

// From a start line and field lines to a message head: the request line (RFC 9112 §3), the status line
// (§4), and the framing rules that make HTTP/1.1 smuggling-safe (§6, RFC 9110 §8.6, §7.2, §7.6, §7.8,
// §10.1.1). Every refusal is an HttpVerdict with the status RFC 9112 asks for.

import type { BodyFraming, HttpField, HttpRequestHead, HttpResponseHead, HttpVerdict, HttpVerdictCode, HttpVersion, RequestTargetForm } from './http-types.ts';
import { invalidPathQueryIndex, isToken, parseAuthority, parseContentLength, splitList } from './http-syntax.ts';

export function makeVerdict(code: HttpVerdictCode, status: number, message: string, offset: number): HttpVerdict {
  return { code, status, message, offset };
}

export interface RequestLine {
  readonly method: string;
  readonly target: string;
  readonly targetForm: RequestTargetForm;
  readonly version: HttpVersion;
  readonly rawVersion: string;
  /** Authority named by an absolute-form or authority-form target. */
  readonly targetAuthority: string | undefined;
}

function parseVersion(raw: string, status400: number, status505: number, offset: number): HttpVersion | HttpVerdict {
  if (raw === 'HTTP/1.1') return '1.1';
  if (raw === 'HTTP/1.0') return '1.0';
  const m = /^HTTP\/([0-9])\.([0-9])$/.exec(raw);
  if (m === null) return makeVerdict('version-invalid', status400, `HTTP-version must be HTTP/DIGIT.DIGIT, got ${JSON.stringify(raw)}`, offset);
  if (m[1] !== '1') return makeVerdict('version-unsupported', status505, `HTTP major version ${m[1]} is not HTTP/1.x`, offset);
  return m[2] === '0' ? '1.0' : '1.1';
}

/** RFC 9112 §3: method SP request-target SP HTTP-version, one SP each. `line` excludes CRLF. */
export function parseRequestLine(line: string, offset: number): RequestLine | HttpVerdict {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0 || line.includes('\t')) {
    return makeVerdict('request-line-invalid', 400, 'request line must be method SP request-target SP HTTP-version with single spaces', offset);
  }
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const rawVersion = line.slice(sp2 + 1);
  if (!isToken(method)) return makeVerdict('method-invalid', 400, `method ${JSON.stringify(method)} is not a token (RFC 9110 §9.1)`, offset);
  if (target === '') return makeVerdict('request-line-invalid', 400, 'request-target is empty', offset + sp1 + 1);
  const version = parseVersion(rawVersion, 400, 505, offset + sp2 + 1);
  if (typeof version !== 'string') return version;
  const tOff = offset + sp1 + 1;
  const bad = (why: string): HttpVerdict => makeVerdict('target-invalid', 400, `request-target ${JSON.stringify(target.slice(0, 200))}: ${why}`, tOff);

  if (method === 'CONNECT') {
    const a = parseAuthority(target);
    if (a === undefined || a.host === '' || a.port === undefined || a.port === '') return bad('CONNECT needs authority-form host:port (RFC 9112 §3.2.3)');
    return {
      method,
      target,
      targetForm: 'authority',
      version,
      rawVersion,
      targetAuthority: target,
    };
  }
  if (target === '*') {
    if (method !== 'OPTIONS') return bad('asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)');
    return {
      method,
      target,
      targetForm: 'asterisk',
      version,
      rawVersion,
      targetAuthority: undefined,
    };
  }
  if (target.startsWith('/')) {
    const i = invalidPathQueryIndex(target);
    if (i >= 0) return bad(`character ${JSON.stringify(target[i])} at ${i} is not allowed in origin-form (RFC 9112 §3.2.1)`);
    return {
      method,
      target,
      targetForm: 'origin',
      version,
      rawVersion,
      targetAuthority: undefined,
    };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(target);
  if (scheme !== null) {
    const s = scheme[1].toLowerCase();
    if (s !== 'http' && s !== 'https') return bad(`scheme ${scheme[1]} is not http or https`);
    const rest = target.slice(scheme[0].length);
    let end = rest.length;
    for (const c of ['/', '?']) {
      const k = rest.indexOf(c);
      if (k >= 0 && k < end) end = k;
    }
    const authority = rest.slice(0, end);
    if (authority.includes('@')) return bad('userinfo in an http(s) URI is refused (RFC 9110 §4.2.4)');
    const a = parseAuthority(authority);
    if (a === undefined || a.host === '') return bad('absolute-form needs a valid host (RFC 9110 §4.2.1)');
    const pathStart = scheme[0].length + end;
    const i = invalidPathQueryIndex(target, pathStart);
    if (i >= 0) return bad(`character ${JSON.stringify(target[i])} at ${i} is not allowed in a URI path or query`);
    return {
      method,
      target,
      targetForm: 'absolute',
      version,
      rawVersion,
      targetAuthority: authority,
    };
  }
  return bad('not origin-form, absolute-form, authority-form (CONNECT) or asterisk-form (OPTIONS)');
}

export interface StatusLine {
  readonly version: HttpVersion;
  readonly status: number;
  readonly reason: string;
}

/**
 * RFC 9112 §4: HTTP-version SP status-code SP [reason-phrase]. A missing "SP reason" is accepted, as
 * clients commonly do; the reason is never interpreted (RFC 9112 §4).
 */
export function parseStatusLine(line: string, offset: number): StatusLine | HttpVerdict {
  // The common shape, HTTP/1.x SP 3DIGIT [SP reason], read without a regular expression.
  if (line.length >= 12 && line.startsWith('HTTP/1.') && line.charCodeAt(8) === 0x20) {
    const minor = line.charCodeAt(7);
    const d0 = line.charCodeAt(9) - 0x30;
    const d1 = line.charCodeAt(10) - 0x30;
    const d2 = line.charCodeAt(11) - 0x30;
    if ((minor === 0x30 || minor === 0x31) && d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) {
      let ok = line.length === 12 || line.charCodeAt(12) === 0x20;
      for (let i = 13; ok && i < line.length; i++) {
        const c = line.charCodeAt(i);
        if (c !== 0x09 && (c < 0x20 || c === 0x7f || c > 0xff)) ok = false;
      }
      if (ok) return { version: minor === 0x31 ? '1.1' : '1.0', status: d0 * 100 + d1 * 10 + d2, reason: line.length === 12 ? '' : line.slice(13) };
    }
  }
  const m = /^(HTTP\/[0-9]\.[0-9]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(line);
  if (m === null)
    return makeVerdict('status-line-invalid', 502, `status line ${JSON.stringify(line.slice(0, 200))} is not HTTP-version SP 3DIGIT SP reason`, offset);
  const version = parseVersion(m[1], 502, 502, offset);
  if (typeof version !== 'string') return version;
  const status = Number(m[2]);
  if (status < 100 || status > 599) return makeVerdict('status-line-invalid', 502, `status ${status} is outside 100..599 (RFC 9110 §15)`, offset + 9);
  return { version, status, reason: m[3] ?? '' };
}

interface Framing {
  readonly framing: BodyFraming;
  readonly te: boolean;
}

/** Transfer-Encoding rules (RFC 9112 §6.1, §6.3, §7): chunked must come last, once, with no parameters. */
function transferEncoding(values: readonly string[], status400: number, status501: number, offset: number): Framing | HttpVerdict {
  const codings: string[] = [];
  for (const v of values) {
    for (const el of splitList(v)) {
      const semi = el.indexOf(';');
      const name = (semi < 0 ? el : el.slice(0, semi)).replace(/[ \t]+$/, '');
      if (!isToken(name)) return makeVerdict('te-invalid', status400, `Transfer-Encoding element ${JSON.stringify(el)} is not a transfer coding name`, offset);
      if (semi >= 0 && name.toLowerCase() === 'chunked') {
        return makeVerdict('te-params', status400, 'the chunked transfer coding takes no parameters (RFC 9112 §7)', offset);
      }
      codings.push(name.toLowerCase());
    }
  }
  if (codings.length === 0) return makeVerdict('te-invalid', status400, 'Transfer-Encoding names no coding', offset);
  const chunkedCount = codings.filter((c) => c === 'chunked').length;
  if (chunkedCount > 1) return makeVerdict('te-chunked-repeated', status400, 'chunked applied more than once (RFC 9112 §7.1: MUST NOT)', offset);
  if (codings[codings.length - 1] !== 'chunked') {
    return makeVerdict(
      'te-not-chunked-final',
      status400,
      `Transfer-Encoding ${JSON.stringify(codings.join(', '))} does not end in chunked: length undeterminable (RFC 9112 §6.3)`,
      offset,
    );
  }
  if (codings.length > 1) {
    return makeVerdict('te-unsupported', status501, `transfer coding ${JSON.stringify(codings[0])} is not implemented (RFC 9112 §6.1: 501)`, offset);
  }
  return { framing: { kind: 'chunked' }, te: true };
}

function contentLength(values: readonly string[], status: number, maxBody: number, offset: number): Framing | HttpVerdict | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    return makeVerdict(
      'cl-duplicate',
      status,
      `Content-Length sent ${values.length} times (refused even when identical, RFC 9110 §8.6 allows rejecting)`,
      offset,
    );
  }
  const v = values[0];
  if (v.includes(',')) return makeVerdict('cl-list', status, `Content-Length ${JSON.stringify(v)} is a list (RFC 9110 §8.6: rejected)`, offset);
  const n = parseContentLength(v);
  if (n === 'invalid') return makeVerdict('cl-invalid', status, `Content-Length ${JSON.stringify(v)} is not 1*DIGIT (RFC 9112 §6.3)`, offset);
  if (n === 'huge' || n > maxBody) {
    return makeVerdict('body-too-large', status === 400 ? 413 : status, `Content-Length ${v} exceeds the body limit of ${maxBody} bytes`, offset);
  }
  return {
    framing: n === 0 ? { kind: 'none' } : { kind: 'length', length: n },
    te: false,
  };
}

const CONFUSABLE = new Set(['content-length', 'transfer-encoding', 'host', 'connection', 'upgrade', 'expect']);

interface Connection {
  readonly options: string[];
  readonly close: boolean;
  readonly keepAlive: boolean;
}

function connectionOptions(values: readonly string[]): Connection {
  const options: string[] = [];
  for (const v of values) for (const o of splitList(v)) options.push(o.toLowerCase());
  return {
    options,
    close: options.includes('close'),
    keepAlive: options.includes('keep-alive'),
  };
}

const NONE: readonly string[] = Object.freeze([]);

/** The values of the fields the framing rules read, gathered in one pass (each name lowercased once). */
interface FramingFields {
  host: string[] | undefined;
  te: string[] | undefined;
  cl: string[] | undefined;
  connection: string[] | undefined;
  upgrade: string[] | undefined;
  expect: string[] | undefined;
  /** A name with "_" that a CGI-style gateway would read as one of the fields above (see checkNames). */
  underscore: boolean;
}

function push(list: string[] | undefined, v: string): string[] {
  if (list === undefined) return [v];
  list.push(v);
  return list;
}

function framingFields(fields: readonly HttpField[]): FramingFields {
  const r: FramingFields = { host: undefined, te: undefined, cl: undefined, connection: undefined, upgrade: undefined, expect: undefined, underscore: false };
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const name = f.name;
    // Every name of interest is 4 to 17 bytes long; others need no lowercasing.
    if (name.length < 4 || name.length > 17) continue;
    const n = name.toLowerCase();
    switch (n) {
      case 'host':
        r.host = push(r.host, f.value);
        break;
      case 'transfer-encoding':
        r.te = push(r.te, f.value);
        break;
      case 'content-length':
        r.cl = push(r.cl, f.value);
        break;
      case 'connection':
        r.connection = push(r.connection, f.value);
        break;
      case 'upgrade':
        r.upgrade = push(r.upgrade, f.value);
        break;
      case 'expect':
        r.expect = push(r.expect, f.value);
        break;
      default:
        if (n.includes('_')) r.underscore = true;
    }
  }
  return r;
}

function checkNames(fields: readonly HttpField[], status: number, offset: number): HttpVerdict | undefined {
  for (const f of fields) {
    if (!f.name.includes('_')) continue;
    const mapped = f.name.toLowerCase().replace(/_/g, '-');
    if (CONFUSABLE.has(mapped)) {
      return makeVerdict(
        'field-name-confusable',
        status,
        `field ${JSON.stringify(f.name)} reads as ${mapped} to a gateway mapping "_" to "-" (CGI, RFC 3875 §4.1.18)`,
        offset,
      );
    }
  }
  return undefined;
}

/** Builds a request head from its line and fields, applying RFC 9112's framing and Host rules. */
export function buildRequestHead(line: RequestLine, fields: readonly HttpField[], maxBody: number, offset: number): HttpRequestHead | HttpVerdict {
  const ff = framingFields(fields);
  if (ff.underscore) {
    const confusable = checkNames(fields, 400, offset);
    if (confusable !== undefined) return confusable;
  }
  const hosts = ff.host ?? NONE;
  if (hosts.length > 1) return makeVerdict('host-duplicate', 400, `Host sent ${hosts.length} times (RFC 9112 §3.2: 400)`, offset);
  if (hosts.length === 0 && line.version === '1.1') return makeVerdict('host-missing', 400, 'HTTP/1.1 request without Host (RFC 9112 §3.2: 400)', offset);
  if (hosts.length === 1) {
    const h = hosts[0];
    if (h.includes(',')) return makeVerdict('host-list', 400, `Host ${JSON.stringify(h)} is a list; Host is a singleton (RFC 9112 §3.2)`, offset);
    if (h !== '' && parseAuthority(h) === undefined)
      return makeVerdict('host-invalid', 400, `Host ${JSON.stringify(h)} is not uri-host [":" port] (RFC 9112 §3.2)`, offset);
    if (h === '' && line.targetForm === 'origin' && line.version === '1.1') {
      // An empty Host is allowed only when the target URI has no authority (RFC 9112 §3.2); origin-form
      // on HTTP/1.1 always addresses an authority-bearing http(s) URI.
      return makeVerdict('host-invalid', 400, 'empty Host with an origin-form target (RFC 9112 §3.2)', offset);
    }
  }
  const te = ff.te ?? NONE;
  const cl = ff.cl ?? NONE;
  let framing: BodyFraming = { kind: 'none' };
  if (te.length > 0) {
    if (line.version === '1.0') return makeVerdict('te-http10', 400, 'Transfer-Encoding in an HTTP/1.0 request: framing is faulty (RFC 9112 §6.1)', offset);
    if (cl.length > 0) return makeVerdict('cl-with-te', 400, 'both Content-Length and Transfer-Encoding (RFC 9112 §6.3: refused, then close)', offset);
    const t = transferEncoding(te, 400, 501, offset);
    if ('code' in t) return t;
    framing = t.framing;
  } else {
    const c = contentLength(cl, 400, maxBody, offset);
    if (c !== undefined && 'code' in c) return c;
    if (c !== undefined) framing = c.framing;
  }
  const conn = connectionOptions(ff.connection ?? NONE);
  const keepAlive = line.version === '1.1' ? !conn.close : conn.keepAlive && !conn.close;
  const upgradeValues = ff.upgrade ?? NONE;
  const upgrade = line.version === '1.1' && conn.options.includes('upgrade') ? upgradeValues.flatMap(splitList) : [];
  let expectContinue = false;
  let unsupportedExpectation: string | undefined;
  const expect = ff.expect ?? NONE;
  if (line.version === '1.1' && expect.length > 0) {
    const members = expect.flatMap(splitList).map((e) => e.toLowerCase());
    if (members.length === 1 && members[0] === '100-continue') expectContinue = true;
    else if (members.length > 0) unsupportedExpectation = expect.join(', ');
  }
  const authority = line.targetAuthority ?? hosts[0] ?? '';
  return {
    type: 'request',
    method: line.method,
    target: line.target,
    targetForm: line.targetForm,
    version: line.version,
    rawVersion: line.rawVersion,
    fields,
    authority,
    expectContinue,
    unsupportedExpectation,
    framing,
    keepAlive,
    connectionOptions: conn.options,
    upgrade,
  };
}

/** Builds a response head; the body rules depend on the request's method (RFC 9112 §6.3). */
export function buildResponseHead(
  line: StatusLine,
  fields: readonly HttpField[],
  requestMethod: string,
  maxBody: number,
  offset: number,
): HttpResponseHead | HttpVerdict {
  const ff = framingFields(fields);
  if (ff.underscore) {
    const confusable = checkNames(fields, 502, offset);
    if (confusable !== undefined) return confusable;
  }
  const te = ff.te ?? NONE;
  const cl = ff.cl ?? NONE;
  const conn = connectionOptions(ff.connection ?? NONE);
  const status = line.status;
  let framing: BodyFraming;
  const bodyless = requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304;
  const tunnel = requestMethod === 'CONNECT' && status >= 200 && status < 300;
  if (bodyless || tunnel) {
    framing = { kind: 'none' };
    // The fields still have to be well-formed: a bad Content-Length here is still a bad message.
    if (te.length === 0) {
      const c = contentLength(cl, 502, Number.MAX_SAFE_INTEGER, offset);
      if (c !== undefined && 'code' in c) return c;
    }
  } else if (te.length > 0) {
    if (line.version === '1.0') return makeVerdict('te-http10', 502, 'Transfer-Encoding in an HTTP/1.0 response: framing is faulty (RFC 9112 §6.1)', offset);
    if (cl.length > 0) return makeVerdict('cl-with-te', 502, 'both Content-Length and Transfer-Encoding in a response (RFC 9112 §6.3)', offset);
    const t = transferEncoding(te, 502, 502, offset);
    if ('code' in t) {
      // A response whose last coding is not chunked runs until close (RFC 9112 §6.3 rule 4).
      if (t.code === 'te-not-chunked-final') framing = { kind: 'close' };
      else return t;
    } else framing = t.framing;
  } else {
    const c = contentLength(cl, 502, maxBody, offset);
    if (c !== undefined && 'code' in c) return c;
    framing = c === undefined ? { kind: 'close' } : c.framing;
  }
  const persistent = line.version === '1.1' ? !conn.close : conn.keepAlive && !conn.close;
  const upgrade = status === 101 ? (ff.upgrade ?? NONE).flatMap(splitList) : [];
  return {
    type: 'response',
    version: line.version,
    status,
    reason: line.reason,
    fields,
    requestMethod,
    framing,
    keepAlive: persistent && framing.kind !== 'close' && status !== 101 && !tunnel,
    connectionOptions: conn.options,
    upgrade,
  };
}

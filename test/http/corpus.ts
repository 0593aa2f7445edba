// The strictness corpus: raw request bytes, the answer RFC 9112 / RFC 9110 require (or netlab's
// documented choice where they leave one), and a one-line reason citing the section. `{path}` in the
// bytes is replaced by the runner with a path naming the case, so a recorded request can be traced back.
//
// level: how firmly the RFC asks for the refusal.
//   MUST   the RFC requires a 400/close (or leaves only "reject" and a repair netlab does not do).
//   SHOULD the RFC asks for it, or the framing cannot be read any other way.
//   MAY    the RFC allows refusing; netlab refuses (or accepts) by choice, said in `reason`.
//   ACCEPT the request is valid: refusing it would be wrong.
// divergence: why netlab answers differently from both nginx and HAProxy, when it does.

import type { HttpVerdictCode } from '../../src/wire/http.ts';

export type CorpusLevel = 'MUST' | 'SHOULD' | 'MAY' | 'ACCEPT';

export interface CorpusCase {
  readonly id: string;
  /** The request, latin1 (one char per byte). */
  readonly raw: string;
  /** netlab's answer: a refusal with status and reason code, or acceptance. */
  readonly expect:
    | {
        readonly refuse: true;
        readonly status: number;
        readonly code: HttpVerdictCode | 'expectation';
      }
    | { readonly refuse: false };
  readonly level: CorpusLevel;
  readonly reason: string;
  /** For an accepted request: false when the connection rightly closes after it (no second answer). */
  readonly keepsAlive?: boolean;
  /** Why netlab differs from both nginx and HAProxy on this case. */
  readonly divergence?: string;
}

/** The limits every target is configured with (nginx's client_max_body_size 1m matches the body limit). */
export const CORPUS_LIMITS = { maxBodyBytes: 1024 * 1024 } as const;

const CRLF = '\r\n';

/** Request lines joined by CRLF, the empty line, then the body. */
function msg(lines: readonly string[], body = ''): string {
  return lines.join(CRLF) + CRLF + CRLF + body;
}

const H = 'Host: corpus.test';

function refuse(status: number, code: HttpVerdictCode | 'expectation'): CorpusCase['expect'] {
  return { refuse: true, status, code };
}

const ACCEPTED: CorpusCase['expect'] = { refuse: false };

export const CORPUS: readonly CorpusCase[] = [
  // ---- valid requests: none of these may be refused ----
  {
    id: 'get-simple',
    raw: msg(['GET {path} HTTP/1.1', H]),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §3: a plain origin-form GET',
  },
  {
    id: 'post-content-length',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 5'], 'hello'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §6.2: body delimited by Content-Length',
  },
  {
    id: 'post-chunked-ext-trailers',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '5;name=val;q="a b"\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §7.1.1, §7.1.2: chunk extensions (token and quoted-string) and a trailer section',
  },
  {
    id: 'chunked-uppercase-hex',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '00A\r\n0123456789\r\n000\r\n\r\n'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §7.1: chunk-size is 1*HEXDIG, any case, leading zeros allowed',
  },
  {
    id: 'te-case-insensitive',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: Chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §7: transfer-coding names are case-insensitive',
  },
  {
    id: 'te-extra-ows',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding:   chunked  '], '1\r\na\r\n0\r\n\r\n'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §5.1: OWS around a field value is not part of it',
  },
  {
    id: 'cl-leading-zeros',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 005'], 'hello'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9110 §8.6: Content-Length = 1*DIGIT, so 005 is 5',
  },
  {
    id: 'http10-keep-alive',
    raw: msg(['GET {path} HTTP/1.0', 'Connection: keep-alive']),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §9.3: HTTP/1.0 persists when it asks for keep-alive; Host is not required in 1.0',
  },
  {
    id: 'http10-closes',
    raw: msg(['GET {path} HTTP/1.0']),
    expect: ACCEPTED,
    keepsAlive: false,
    level: 'ACCEPT',
    reason: 'RFC 9112 §9.3: HTTP/1.0 without keep-alive closes after the response: no second answer',
  },
  {
    id: 'connection-close',
    raw: msg(['GET {path} HTTP/1.1', H, 'Connection: close']),
    expect: ACCEPTED,
    keepsAlive: false,
    level: 'ACCEPT',
    reason: 'RFC 9112 §9.6: after Connection: close the server reads no further request',
  },
  {
    id: 'absolute-form',
    raw: msg(['GET http://corpus.test{path} HTTP/1.1', H]),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §3.2.2: a server MUST accept absolute-form',
  },
  {
    id: 'absolute-form-host-differs',
    raw: msg(['GET http://corpus.test{path} HTTP/1.1', 'Host: other.test']),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §3.2.2: with absolute-form the Host field is ignored',
  },
  {
    id: 'leading-empty-line',
    raw: `\r\n${msg(['GET {path} HTTP/1.1', H])}`,
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §2.2: SHOULD ignore at least one empty line before the request line',
  },
  {
    id: 'obs-text-value',
    raw: msg(['GET {path} HTTP/1.1', H, 'X-Name: caf\xe9']),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9110 §5.5: obs-text (0x80-0xFF) is allowed in field values',
  },
  {
    id: 'cl-trailing-ows',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 5 '], 'hello'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9112 §5.1: trailing OWS is stripped before the value is read',
  },
  {
    id: 'http11-minor-higher',
    raw: msg(['GET {path} HTTP/1.2', H]),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9110 §6.2: a higher minor version is read as the highest supported (1.1)',
  },
  {
    id: 'expect-100-continue',
    raw: msg(['POST {path} HTTP/1.1', H, 'Expect: 100-continue', 'Content-Length: 5'], 'hello'),
    expect: ACCEPTED,
    level: 'ACCEPT',
    reason: 'RFC 9110 §10.1.1: the body may follow without waiting for 100',
  },

  // ---- Content-Length ----
  {
    id: 'cl-and-te',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 6', 'Transfer-Encoding: chunked'], '0\r\n\r\nG'),
    expect: refuse(400, 'cl-with-te'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (3): CL with TE may be refused and MUST close; netlab refuses (classic CL.TE)',
  },
  {
    id: 'te-and-cl',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked', 'Content-Length: 4'], '5c\r\nG'),
    expect: refuse(400, 'cl-with-te'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (3): TE.CL ordering, same rule',
  },
  {
    id: 'cl-duplicate-different',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 5', 'Content-Length: 6'], 'hello!'),
    expect: refuse(400, 'cl-duplicate'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (5): differing Content-Length values are invalid: 400 and close',
  },
  {
    id: 'cl-duplicate-identical',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 5', 'Content-Length: 5'], 'hello'),
    expect: refuse(400, 'cl-duplicate'),
    level: 'MAY',
    reason: 'RFC 9110 §8.6: identical duplicates may be rejected or merged; netlab rejects (no sender needs them)',
  },
  {
    id: 'cl-list-identical',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 5, 5'], 'hello'),
    expect: refuse(400, 'cl-list'),
    level: 'MAY',
    reason: 'RFC 9110 §8.6: "42, 42" may be rejected or merged; netlab rejects',
  },
  {
    id: 'cl-list-different',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 5, 6'], 'hello!'),
    expect: refuse(400, 'cl-list'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (5): a list of differing values is an invalid Content-Length',
  },
  {
    id: 'cl-plus',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: +5'], 'hello'),
    expect: refuse(400, 'cl-invalid'),
    level: 'MUST',
    reason: 'RFC 9110 §8.6: 1*DIGIT has no sign; RFC 9112 §6.3 (5): 400 and close',
  },
  {
    id: 'cl-negative',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: -1'], 'hello'),
    expect: refuse(400, 'cl-invalid'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (5): an invalid Content-Length is an unrecoverable error',
  },
  {
    id: 'cl-hex',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 0x5'], 'hello'),
    expect: refuse(400, 'cl-invalid'),
    level: 'MUST',
    reason: 'RFC 9110 §8.6: decimal digits only',
  },
  {
    id: 'cl-underscore',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 1_0'], 'helloworld'),
    expect: refuse(400, 'cl-invalid'),
    level: 'MUST',
    reason: 'RFC 9110 §8.6: "_" is not a digit',
  },
  {
    id: 'cl-non-numeric',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: five'], 'hello'),
    expect: refuse(400, 'cl-invalid'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (5): invalid Content-Length',
  },
  {
    id: 'cl-inner-space',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 1 0'], 'helloworld'),
    expect: refuse(400, 'cl-invalid'),
    level: 'MUST',
    reason: 'RFC 9110 §8.6: no whitespace inside the number',
  },
  {
    id: 'cl-empty',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length:'], 'hello'),
    expect: refuse(400, 'cl-invalid'),
    level: 'MUST',
    reason: 'RFC 9110 §8.6: 1*DIGIT needs a digit',
  },
  {
    id: 'cl-too-large',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 99999999999999999999'], 'hello'),
    expect: refuse(413, 'body-too-large'),
    level: 'SHOULD',
    reason: 'RFC 9110 §15.5.14: over the body limit (RFC 9110 §8.6: guard against overflow)',
  },
  {
    id: 'cl-name-underscore',
    divergence:
      'nginx drops names holding "_" (underscores_in_headers off) and reads the 5 body bytes as the start of the next request (its 200 then 400); HAProxy forwards the name as is. Either way a CGI-style back end can disagree on the framing, so netlab refuses',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content_Length: 5'], 'hello'),
    expect: refuse(400, 'field-name-confusable'),
    level: 'MAY',
    reason: 'RFC 9110 §5.1 allows "_" in names; netlab refuses framing names spelt with "_" (CGI maps "_" to "-", RFC 3875 §4.1.18)',
  },

  // ---- Transfer-Encoding ----
  {
    id: 'te-not-final',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked, gzip'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-not-chunked-final'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (4): chunked not final in a request: 400 and close',
  },
  {
    id: 'te-unknown-alone',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: foo'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-not-chunked-final'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (4): the framing cannot be determined',
  },
  {
    id: 'te-xchunked',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: xchunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-not-chunked-final'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (4): "xchunked" is not chunked',
  },
  {
    id: 'te-gzip-chunked',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: gzip, chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(501, 'te-unsupported'),
    level: 'SHOULD',
    reason: 'RFC 9112 §6.1: a transfer coding the server does not implement: 501',
  },
  {
    id: 'te-unknown-chunked',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: foo, chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(501, 'te-unsupported'),
    level: 'SHOULD',
    reason: 'RFC 9112 §6.1: unknown transfer coding: 501',
  },
  {
    id: 'te-chunked-twice',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked, chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-chunked-repeated'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: chunked MUST NOT be applied twice; the body cannot be decoded twice',
  },
  {
    id: 'te-two-lines',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-chunked-repeated'),
    level: 'SHOULD',
    reason: 'RFC 9110 §5.3: two lines combine to "chunked, chunked" (RFC 9112 §7.1)',
  },
  {
    id: 'te-params',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked;q=1'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-params'),
    level: 'MUST',
    reason: 'RFC 9112 §7: chunked has no parameters, so this is not chunked: §6.3 (4)',
  },
  {
    id: 'te-inner-space',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chun ked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-invalid'),
    level: 'MUST',
    reason: 'RFC 9112 §6.3 (4): not a coding name, not chunked',
  },
  {
    id: 'te-vertical-tab',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: \x0bchunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'control-char'),
    level: 'SHOULD',
    reason: 'RFC 9110 §5.5: CTLs make a field value invalid; in a framing field it must not be trimmed away',
  },
  {
    id: 'te-http10',
    raw: msg(['POST {path} HTTP/1.0', 'Transfer-Encoding: chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'te-http10'),
    level: 'MUST',
    reason: 'RFC 9112 §6.1: TE in HTTP/1.0 MUST be treated as faulty framing',
  },
  {
    id: 'te-http10-with-cl',
    raw: msg(['POST {path} HTTP/1.0', 'Content-Length: 5', 'Transfer-Encoding: chunked'], 'hello'),
    expect: refuse(400, 'te-http10'),
    level: 'MUST',
    reason: 'RFC 9112 §6.1: faulty "even if a Content-Length is present"',
  },
  {
    id: 'te-obs-fold',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding:', ' chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'obs-fold'),
    level: 'MUST',
    reason: 'RFC 9112 §5.2: obs-fold in a request: 400 (or unfold; netlab refuses)',
  },
  {
    id: 'te-space-before-colon',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding : chunked'], '1\r\na\r\n0\r\n\r\n'),
    expect: refuse(400, 'space-before-colon'),
    level: 'MUST',
    reason: 'RFC 9112 §5.1: whitespace before the colon MUST get 400',
  },
  {
    id: 'te-name-underscore',
    divergence: 'nginx drops the name and HAProxy forwards it; a back end mapping "_" to "-" would then see TE with CL. netlab refuses the ambiguity',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer_Encoding: chunked', 'Content-Length: 5'], 'hello'),
    expect: refuse(400, 'field-name-confusable'),
    level: 'MAY',
    reason: 'netlab refuses framing names spelt with "_": a CGI-style upstream reads Transfer_Encoding as Transfer-Encoding',
  },

  // ---- field syntax ----
  {
    id: 'obs-fold',
    raw: msg(['GET {path} HTTP/1.1', H, 'X-A: a', ' b']),
    expect: refuse(400, 'obs-fold'),
    level: 'MUST',
    reason: 'RFC 9112 §5.2: 400, or replace with SP; netlab refuses',
  },
  {
    id: 'whitespace-after-start-line',
    raw: msg(['GET {path} HTTP/1.1', ' X-A: a', H]),
    expect: refuse(400, 'whitespace-after-start-line'),
    level: 'MUST',
    reason: 'RFC 9112 §2.2: reject, or ignore the line; netlab rejects',
  },
  {
    id: 'space-before-colon',
    raw: msg(['GET {path} HTTP/1.1', H, 'X-A : a']),
    expect: refuse(400, 'space-before-colon'),
    level: 'MUST',
    reason: 'RFC 9112 §5.1: MUST respond 400',
  },
  {
    id: 'bare-cr-value',
    raw: msg(['GET {path} HTTP/1.1', H, 'X-A: a\rb']),
    expect: refuse(400, 'bare-cr'),
    level: 'MUST',
    reason: 'RFC 9112 §2.2: bare CR MUST be invalid or replaced by SP; netlab refuses',
  },
  {
    id: 'nul-value',
    raw: msg(['GET {path} HTTP/1.1', H, 'X-A: a\x00b']),
    expect: refuse(400, 'control-char'),
    level: 'MUST',
    reason: 'RFC 9110 §5.5: NUL MUST be rejected or replaced by SP; netlab refuses',
  },
  {
    id: 'del-value',
    divergence:
      'both forward DEL inside a value (RFC 9110 §5.5 lets a recipient keep CTLs); netlab refuses every CTL but HTAB so nothing it passes on can be read two ways',
    raw: msg(['GET {path} HTTP/1.1', H, 'X-A: a\x7fb']),
    expect: refuse(400, 'control-char'),
    level: 'MAY',
    reason: 'RFC 9110 §5.5: other CTLs are invalid, recipients MAY keep them; netlab refuses',
  },
  {
    id: 'control-in-name',
    raw: msg(['GET {path} HTTP/1.1', H, 'X\x01A: b']),
    expect: refuse(400, 'control-char'),
    level: 'SHOULD',
    reason: 'RFC 9110 §5.1: a field name is a token',
  },
  {
    id: 'paren-in-name',
    raw: msg(['GET {path} HTTP/1.1', H, 'X(A): b']),
    expect: refuse(400, 'field-name-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9110 §5.1, §5.6.2: "(" is a delimiter, not a tchar',
  },
  {
    id: 'empty-name',
    raw: msg(['GET {path} HTTP/1.1', H, ': b']),
    expect: refuse(400, 'field-name-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9110 §5.1: token needs one tchar',
  },
  {
    id: 'no-colon',
    raw: msg(['GET {path} HTTP/1.1', H, 'X-A b']),
    expect: refuse(400, 'field-line-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §5: field-line = name ":" value',
  },
  {
    id: 'bare-lf',
    divergence:
      'both take a bare LF as a line end (RFC 9112 §2.2 MAY); netlab requires CRLF, since a front and back end disagreeing on line ends is a smuggling vector',
    raw: 'GET {path} HTTP/1.1\nHost: corpus.test\n\n',
    expect: refuse(400, 'bare-lf'),
    level: 'MAY',
    reason: 'RFC 9112 §2.2: a recipient MAY accept bare LF; netlab requires CRLF',
  },

  // ---- Host ----
  {
    id: 'host-missing',
    raw: msg(['GET {path} HTTP/1.1']),
    expect: refuse(400, 'host-missing'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: HTTP/1.1 without Host MUST get 400',
  },
  {
    id: 'host-duplicate',
    raw: msg(['GET {path} HTTP/1.1', H, 'Host: other.test']),
    expect: refuse(400, 'host-duplicate'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: more than one Host line MUST get 400',
  },
  {
    id: 'host-duplicate-identical',
    raw: msg(['GET {path} HTTP/1.1', H, H]),
    expect: refuse(400, 'host-duplicate'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: "more than one Host header field line", identical or not',
  },
  {
    id: 'host-duplicate-http10',
    raw: msg(['GET {path} HTTP/1.0', H, 'Host: other.test']),
    expect: refuse(400, 'host-duplicate'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: applies to any request message',
  },
  {
    id: 'host-comma-list',
    raw: msg(['GET {path} HTTP/1.1', 'Host: corpus.test, other.test']),
    expect: refuse(400, 'host-list'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: an invalid Host value MUST get 400 (Host is a singleton)',
  },
  {
    id: 'host-space',
    raw: msg(['GET {path} HTTP/1.1', 'Host: corpus test']),
    expect: refuse(400, 'host-invalid'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: uri-host has no space',
  },
  {
    id: 'host-slash',
    raw: msg(['GET {path} HTTP/1.1', 'Host: corpus.test/evil']),
    expect: refuse(400, 'host-invalid'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: "/" is not allowed in uri-host [":" port]',
  },

  // ---- chunked framing ----
  {
    id: 'chunk-0x',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '0x5\r\nhello\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-size-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: chunk-size = 1*HEXDIG, no 0x prefix',
  },
  {
    id: 'chunk-leading-space',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], ' 5\r\nhello\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-size-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: no whitespace before chunk-size',
  },
  {
    id: 'chunk-trailing-space',
    divergence: 'both skip whitespace after the chunk size; RFC 9112 §7.1.1 allows BWS only before ";" and netlab keeps to the grammar',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '5 \r\nhello\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-size-invalid'),
    level: 'MAY',
    reason: 'RFC 9112 §7.1.1: BWS may come only before ";" of an extension',
  },
  {
    id: 'chunk-negative',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '-1\r\nhello\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-size-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: no sign in chunk-size',
  },
  {
    id: 'chunk-underscore',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '1_0\r\nhelloworld\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-size-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: "_" is not a hex digit',
  },
  {
    id: 'chunk-oversized',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], 'FFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-size-too-large'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: recipients MUST anticipate large sizes and prevent overflow',
  },
  {
    id: 'chunk-over-limit',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '7FFFFFFF\r\nhello\r\n0\r\n\r\n'),
    expect: refuse(413, 'body-too-large'),
    level: 'SHOULD',
    reason: 'RFC 9110 §15.5.14: a chunk beyond the body limit',
  },
  {
    id: 'chunk-data-too-long',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '3\r\nhello\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-data-crlf-missing'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: chunk-data is exactly chunk-size bytes, then CRLF',
  },
  {
    id: 'chunk-missing-crlf',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '5\r\nhello0\r\n\r\n'),
    expect: refuse(400, 'chunk-data-crlf-missing'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1: CRLF after chunk-data is required',
  },
  {
    id: 'chunk-lf-only',
    divergence: 'both accept LF-only chunk framing (RFC 9112 §2.2 MAY); netlab requires CRLF, as in the head',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '5\nhello\n0\n\n'),
    expect: refuse(400, 'bare-lf'),
    level: 'MAY',
    reason: 'RFC 9112 §2.2 lets a recipient accept LF; netlab requires CRLF in chunk framing',
  },
  {
    id: 'chunk-ext-no-name',
    divergence:
      'both skip chunk extensions without reading them; netlab parses them to the grammar (RFC 9112 §7.1.1), as a back end that parses them could split the line differently',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '5;=x\r\nhello\r\n0\r\n\r\n'),
    expect: refuse(400, 'chunk-ext-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §7.1.1: chunk-ext-name is a token',
  },
  {
    id: 'chunk-obs-fold-trailer',
    divergence: 'both accept a folded trailer line (RFC 9112 §5.2 also allows unfolding it); netlab refuses obs-fold in trailers as in the header section',
    raw: msg(['POST {path} HTTP/1.1', H, 'Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n'),
    expect: refuse(400, 'obs-fold'),
    level: 'MUST',
    reason: 'RFC 9112 §5.2 applies to the trailer section too',
  },

  // ---- request line ----
  {
    id: 'double-space',
    divergence: 'both split the request line on runs of whitespace (RFC 9112 §3 allows it); netlab requires single SPs so the line has exactly one reading',
    raw: msg(['GET  {path} HTTP/1.1', H]),
    expect: refuse(400, 'request-line-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §3: single SP; §3 lets a recipient split on whitespace, netlab does not',
  },
  {
    id: 'tab-separator',
    raw: msg(['GET\t{path}\tHTTP/1.1', H]),
    expect: refuse(400, 'request-line-invalid'),
    level: 'MAY',
    reason: 'RFC 9112 §3: SP only (HTAB splitting is a MAY netlab does not take)',
  },
  {
    id: 'space-in-target',
    raw: msg(['GET {path}/a b HTTP/1.1', H]),
    expect: refuse(400, 'request-line-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §3.2: no whitespace in request-target; §3: 400',
  },
  {
    id: 'fragment-in-target',
    raw: msg(['GET {path}#frag HTTP/1.1', H]),
    expect: refuse(400, 'target-invalid'),
    level: 'MAY',
    reason: 'RFC 9112 §3.2.1: origin-form has no fragment',
  },
  {
    id: 'userinfo-absolute',
    raw: msg(['GET http://user@corpus.test{path} HTTP/1.1', H]),
    expect: refuse(400, 'target-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9110 §4.2.4: userinfo SHOULD be treated as an error',
  },
  {
    id: 'version-lowercase',
    raw: msg(['GET {path} http/1.1', H]),
    expect: refuse(400, 'version-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §2.3: HTTP-name is case-sensitive',
  },
  {
    id: 'version-2',
    raw: msg(['GET {path} HTTP/2.0', H]),
    expect: refuse(505, 'version-unsupported'),
    level: 'SHOULD',
    reason: 'RFC 9110 §15.6.6: major version not supported',
  },
  {
    id: 'method-invalid',
    raw: msg(['G(T {path} HTTP/1.1', H]),
    expect: refuse(400, 'method-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9110 §9.1: method is a token',
  },
  {
    id: 'nul-in-target',
    raw: msg(['GET {path}\x00 HTTP/1.1', H]),
    expect: refuse(400, 'control-char'),
    level: 'MUST',
    reason: 'RFC 9112 §3.2: no controls in request-target',
  },
  {
    id: 'asterisk-not-options',
    raw: msg(['GET * HTTP/1.1', H, 'X-Case: {path}']),
    expect: refuse(400, 'target-invalid'),
    level: 'SHOULD',
    reason: 'RFC 9112 §3.2.4: asterisk-form only for OPTIONS',
  },

  // ---- limits ----
  {
    id: 'request-line-too-long',
    raw: msg([`GET {path}?${'a'.repeat(9000)} HTTP/1.1`, H]),
    expect: refuse(414, 'start-line-too-long'),
    level: 'SHOULD',
    reason: 'RFC 9112 §3: a request-target longer than the server reads gets 414',
  },
  {
    id: 'too-many-fields',
    raw: msg(['GET {path} HTTP/1.1', H, ...Array.from({ length: 120 }, (_, i) => `X-F${i}: v`)]),
    expect: refuse(431, 'too-many-fields'),
    level: 'SHOULD',
    reason: 'RFC 6585 §5: 431 for too many header fields',
  },
  {
    id: 'header-section-too-large',
    raw: msg(['GET {path} HTTP/1.1', H, ...Array.from({ length: 4 }, (_, i) => `X-Big${i}: ${'b'.repeat(5000)}`)]),
    expect: refuse(431, 'header-section-too-large'),
    level: 'SHOULD',
    reason: 'RFC 6585 §5: 431 for a header section too large',
  },
  {
    id: 'body-over-limit',
    raw: msg(['POST {path} HTTP/1.1', H, 'Content-Length: 2000000'], 'hello'),
    expect: refuse(413, 'body-too-large'),
    level: 'SHOULD',
    reason: 'RFC 9110 §15.5.14: 413 when the content is larger than the server accepts (limit 1 MiB here)',
  },

  // ---- expectations ----
  {
    id: 'expect-unknown',
    divergence: 'both ignore an expectation they do not know; RFC 9110 §10.1.1 allows 417, which netlab sends so the client learns its expectation was not met',
    raw: msg(['GET {path} HTTP/1.1', H, 'Expect: teapot']),
    expect: refuse(417, 'expectation'),
    level: 'MAY',
    reason: 'RFC 9110 §10.1.1: an expectation other than 100-continue MAY get 417',
  },
];

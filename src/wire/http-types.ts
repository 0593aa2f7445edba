// The shapes the HTTP/1.x codec (RFC 9112, RFC 9110) hands out: message heads with their fields in
// arrival order and raw name case, how the body of each message is framed, the limits, the verdicts
// and the events of the streaming parser. Pure types; no I/O.

/**
 * The two versions of HTTP/1.x (a request with HTTP/1.2..1.9 is read as 1.1, RFC 9110 §6.2), and '2'
 * for a request that came over HTTP/2 (src/proxy/h2-*.ts map its streams to these heads).
 */
export type HttpVersion = '1.0' | '1.1' | '2';

/** One field line: the name exactly as received (case kept), the value with leading/trailing OWS removed. */
export interface HttpField {
  readonly name: string;
  readonly value: string;
}

/** RFC 9112 §3.2: the four forms of request-target. */
export type RequestTargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk';

/** How a message's body is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Response only: the body runs until the server closes the connection. */
  | { readonly kind: 'close' };

/** What the parser worked out from the fields, shared by requests and responses. */
export interface MessageSemantics {
  readonly framing: BodyFraming;
  /** True when the connection may carry another message after this one (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  /** Lower-cased connection options named in Connection (RFC 9110 §7.6.1). */
  readonly connectionOptions: readonly string[];
  /** Protocols named in Upgrade, when Connection lists "upgrade" (HTTP/1.1 only, RFC 9110 §7.8). */
  readonly upgrade: readonly string[];
}

export interface HttpRequestHead extends MessageSemantics {
  readonly type: 'request';
  readonly method: string;
  readonly target: string;
  readonly targetForm: RequestTargetForm;
  readonly version: HttpVersion;
  /** The version exactly as written on the request line ("HTTP/1.1"). */
  readonly rawVersion: string;
  readonly fields: readonly HttpField[];
  /**
   * Host and port the request is for: the authority of an absolute-form or authority-form target
   * (RFC 9112 §3.2.2, a Host field is then ignored), otherwise the Host field; "" when neither.
   */
  readonly authority: string;
  /** `Expect: 100-continue` in an HTTP/1.1 request (an HTTP/1.0 one is ignored, RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** An Expect value other than 100-continue: the server should answer 417 (RFC 9110 §10.1.1). */
  readonly unsupportedExpectation: string | undefined;
}

export interface HttpResponseHead extends MessageSemantics {
  readonly type: 'response';
  readonly version: HttpVersion;
  readonly status: number;
  readonly reason: string;
  readonly fields: readonly HttpField[];
  /** The method of the request this answers (decides whether a body follows, RFC 9112 §6.3). */
  readonly requestMethod: string;
}

export type HttpHead = HttpRequestHead | HttpResponseHead;

/** Bounds the parser enforces. Every size is in bytes. */
export interface HttpLimits {
  /** Request line, CRLF excluded; longer gets 414 (RFC 9112 §3). Also bounds a status line. */
  readonly maxStartLineBytes: number;
  /** All field lines of a header section (or trailer section), CRLFs included; more gets 431. */
  readonly maxHeaderBytes: number;
  /** Field lines in a header (or trailer) section; more gets 431 (RFC 6585 §5). */
  readonly maxHeaderCount: number;
  /** Message body after transfer decoding; more gets 413 (RFC 9110 §15.5.14). */
  readonly maxBodyBytes: number;
  /** One chunk-size line with its extensions, CRLF excluded. */
  readonly maxChunkLineBytes: number;
  /** Empty lines accepted before a request line (RFC 9112 §2.2 asks to ignore at least one). */
  readonly maxLeadingEmptyLines: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  maxStartLineBytes: 8192,
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxBodyBytes: 8 * 1024 * 1024,
  maxChunkLineBytes: 4096,
  maxLeadingEmptyLines: 4,
});

/**
 * Stable reason codes of a parser verdict. Each names one way a message broke the rules; the verdict
 * carries the status to answer with and a message saying exactly what.
 */
export type HttpVerdictCode =
  | 'start-line-too-long'
  | 'request-line-invalid'
  | 'method-invalid'
  | 'target-invalid'
  | 'version-invalid'
  | 'version-unsupported'
  | 'status-line-invalid'
  | 'leading-empty-lines'
  | 'bare-cr'
  | 'bare-lf'
  | 'control-char'
  | 'whitespace-after-start-line'
  | 'obs-fold'
  | 'field-line-invalid'
  | 'field-name-invalid'
  | 'field-name-confusable'
  | 'space-before-colon'
  | 'header-section-too-large'
  | 'too-many-fields'
  | 'host-missing'
  | 'host-duplicate'
  | 'host-list'
  | 'host-invalid'
  | 'cl-invalid'
  | 'cl-duplicate'
  | 'cl-list'
  | 'cl-with-te'
  | 'te-http10'
  | 'te-invalid'
  | 'te-params'
  | 'te-not-chunked-final'
  | 'te-chunked-repeated'
  | 'te-unsupported'
  | 'body-too-large'
  | 'chunk-size-invalid'
  | 'chunk-size-too-large'
  | 'chunk-ext-invalid'
  | 'chunk-line-too-long'
  | 'chunk-data-crlf-missing'
  | 'incomplete-message'
  | 'input-after-failure';

/**
 * A fatal verdict. After one, the parser takes no more input: the connection must be closed (after
 * writing `status`, when the verdict is about a request), never resynchronised.
 */
export interface HttpVerdict {
  readonly code: HttpVerdictCode;
  /** The status a server answers with (a gateway answers 502 for a bad response). */
  readonly status: number;
  /** What exactly was wrong, for a log or the error body. */
  readonly message: string;
  /** Offset, from the first byte the parser was given, where the problem was found. */
  readonly offset: number;
}

/** What the parser reports, in order. */
export type HttpEvent =
  /**
   * A complete head; for a 1xx (but 101) response, an 'end' follows at once and the real response comes
   * next. `raw` (parsers made with `keepRawHead`, when the whole head came in one push): the field
   * section exactly as received, each field line with its CRLF, without the start line and the empty
   * line that ends the head; its lines are `head.fields` in order (the parser refuses obs-fold).
   */
  | { readonly type: 'head'; readonly head: HttpHead; readonly raw?: Uint8Array }
  /** Body bytes after transfer decoding. May be a view into the pushed chunk: copy it to keep it past the next push. */
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The trailer section of a chunked body (only when it had fields). */
  | { readonly type: 'trailers'; readonly fields: readonly HttpField[] }
  /** The message is complete. */
  | { readonly type: 'end' }
  /**
   * The message just ended asked to leave HTTP (Upgrade, CONNECT, or a 101 / 2xx-to-CONNECT response):
   * the parser holds further bytes until told (`resume()` or `detach()`).
   */
  | { readonly type: 'paused'; readonly reason: 'upgrade' | 'connect' }
  | { readonly type: 'error'; readonly verdict: HttpVerdict };

// Tables Wireshark 4.0's HTTP dissector works from: the ports it is registered on, the request
// methods it recognises, the status code descriptions, the headers that get a field of their own,
// and the media types whose bodies go to the line-based text dissector.

/** TCP ports Wireshark 4.0 gives to HTTP (tcp.port in `tshark -G decodes`). */
export const HTTP_TCP_PORTS: ReadonlySet<number> = new Set([80, 631, 1900, 2710, 2869, 3128, 3132, 3689, 5985, 8080, 8088, 11371]);

/** Request methods Wireshark recognises at the start of a request line (RFC 9110, WebDAV, UPnP...). */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET', 'PUT', 'POST', 'HEAD', 'TRACE', 'DELETE', 'OPTIONS', 'CONNECT', 'PATCH',
  'COPY', 'LOCK', 'MOVE', 'POLL', 'MKCOL', 'UNLOCK', 'SEARCH', 'NOTIFY', 'M-SEARCH', 'PROPFIND', 'PROPPATCH',
  'SUBSCRIBE', 'UNSUBSCRIBE', 'BCOPY', 'BMOVE', 'BDELETE', 'BPROPFIND', 'BPROPPATCH', 'CHECKIN', 'CHECKOUT',
  'REPORT', 'MERGE', 'LABEL', 'UPDATE', 'MKACTIVITY', 'MKWORKSPACE', 'VERSION-CONTROL', 'BASELINE-CONTROL',
  'ORDERPATCH', 'ACL', 'MKCALENDAR', 'RPC_IN_DATA', 'RPC_OUT_DATA', 'UPDATEREDIRECTREF',
]);

/** Wireshark's status code descriptions (`http.response.code.desc`). */
export const HTTP_STATUS_TEXT: Readonly<Record<number, string>> = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints', 199: 'Informational - Others',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-authoritative Information', 204: 'No Content', 205: 'Reset Content',
  206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used', 299: 'Success - Others',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 399: 'Redirection - Others',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Time-out', 409: 'Conflict', 410: 'Gone',
  411: 'Length Required', 412: 'Precondition Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Requested Range Not Satisfiable', 417: 'Expectation Failed', 418: "I'm a teapot",
  421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked', 424: 'Failed Dependency', 425: 'Too Early',
  426: 'Upgrade Required', 428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons', 499: 'Client Error - Others',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Time-out',
  505: 'HTTP Version not supported', 506: 'Variant Also Negotiates', 507: 'Insufficient Storage', 508: 'Loop Detected',
  510: 'Not Extended', 511: 'Network Authentication Required', 599: 'Server Error - Others',
};

/** Headers with a field of their own (lower-case name -> field name and its label). */
export const HTTP_HEADER_FIELDS: Readonly<Record<string, { field: string; label: string }>> = {
  'content-type': { field: 'http.content_type', label: 'Content-Type' },
  'content-length': { field: 'http.content_length_header', label: 'Content-Length' },
  'content-encoding': { field: 'http.content_encoding', label: 'Content-Encoding' },
  'transfer-encoding': { field: 'http.transfer_encoding', label: 'Transfer-Encoding' },
  'user-agent': { field: 'http.user_agent', label: 'User-Agent' },
  host: { field: 'http.host', label: 'Host' },
  connection: { field: 'http.connection', label: 'Connection' },
  accept: { field: 'http.accept', label: 'Accept' },
  referer: { field: 'http.referer', label: 'Referer' },
  'accept-language': { field: 'http.accept_language', label: 'Accept-Language' },
  'accept-encoding': { field: 'http.accept_encoding', label: 'Accept-Encoding' },
  date: { field: 'http.date', label: 'Date' },
  'cache-control': { field: 'http.cache_control', label: 'Cache-Control' },
  server: { field: 'http.server', label: 'Server' },
  location: { field: 'http.location', label: 'Location' },
  'last-modified': { field: 'http.last_modified', label: 'Last-Modified' },
  'x-forwarded-for': { field: 'http.x_forwarded_for', label: 'X-Forwarded-For' },
  'www-authenticate': { field: 'http.www_authenticate', label: 'WWW-Authenticate' },
  'proxy-authenticate': { field: 'http.proxy_authenticate', label: 'Proxy-Authenticate' },
};

/** Media types whose bodies Wireshark shows as `Line-based text data` (data-text-lines). */
export const TEXT_LINES_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'text/plain', 'text/richtext', 'text/enriched', 'text/parameters', 'text/html', 'text/css', 'text/javascript',
  'text/xml-external-parsed-entity', 'application/xml-external-parsed-entity', 'application/x-javascript',
  'application/x-tia-p25-issi', 'application/x-tia-p25-sndcp', 'application/x-ns-proxy-autoconfig',
  'text/vnd.sun.j2me.app-descriptor', 'application/vnd.poc.refer-to', 'application/vnd.drm.message',
  'application/x-wms-logplaystats', 'application/x-rtsp-udp-packetpair',
]);

/** The URL-encoded form media type (its own dissector, `urlencoded-form`). */
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/**
 * Media types another Wireshark dissector takes (XML, JSON, multipart, ...): netlab has none of
 * them, so their bodies stay in `http.file_data` with no body protocol claimed for them.
 */
export const OTHER_DISSECTOR_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'text/xml', 'application/xml', 'application/json', 'application/octet-stream', 'message/http',
]);

// Request/response matching for HTTP and SSDP, per conversation, as Wireshark does it on its one
// pass: each request opens an exchange, each response closes the latest open one, and only one step
// back (the previous exchange) is ever shown.

import { bool, type Field, rawField, uintDec } from '../field.ts';
import { formatRelTime, type NsTime, nsDelta } from '../frame-fields.ts';

export interface Exchange {
  number: number;
  reqFrame: number;
  reqTime?: NsTime;
  resFrame: number;
  prev?: Exchange;
}

export interface ExchangeConv {
  count: number;
  tail?: Exchange;
  /** The last request's full URI (or its URI when it named no host). */
  lastUri?: string;
}

export function frameNum(name: string, label: string, n: number, at: number): Field {
  return rawField(name, label, 'uint', n, String(n), at, 0, { generated: true, text: `[${label}: ${n}]` });
}

function pushExchange(conv: ExchangeConv): Exchange {
  const r: Exchange = { number: ++conv.count, reqFrame: 0, resFrame: 0 };
  if (conv.tail !== undefined) {
    // Only one step back is ever shown: older entries are let go.
    conv.tail.prev = undefined;
    r.prev = conv.tail;
  }
  conv.tail = r;
  return r;
}

const NO_FIELDS: readonly Field[] = Object.freeze([]) as readonly Field[];

/**
 * A request in `frame`: opens an exchange and gives its generated fields (none without `build`: no
 * output reads them).
 */
export function requestFields(conv: ExchangeConv, uri: string, frame: number, now: NsTime, at: number, build = true): readonly Field[] {
  conv.lastUri = uri;
  const r = pushExchange(conv);
  r.reqFrame = frame;
  r.reqTime = now;
  if (!build) return NO_FIELDS;
  const fields: Field[] = [
    bool('http.request', 'Request', true, at, 0, { generated: true, hidden: true }),
    uintDec('http.request_number', 'HTTP request', r.number, at, 0, { generated: true, text: `[HTTP request ${r.number}/${conv.count}]` }),
  ];
  if (r.prev !== undefined && r.prev.reqFrame > 0) fields.push(frameNum('http.prev_request_in', 'Prev request in frame', r.prev.reqFrame, at));
  return fields;
}

/** A response in `frame`: closes the open exchange (or opens one) and gives its generated fields (see requestFields). */
export function responseFields(conv: ExchangeConv, frame: number, now: NsTime, at: number, build = true): readonly Field[] {
  let r = conv.tail;
  if (r === undefined || r.resFrame > 0) r = pushExchange(conv);
  r.resFrame = frame;
  if (!build) return NO_FIELDS;
  const fields: Field[] = [
    bool('http.response', 'Response', true, at, 0, { generated: true, hidden: true }),
    uintDec('http.response_number', 'HTTP response', r.number, at, 0, { generated: true, text: `[HTTP response ${r.number}/${conv.count}]` }),
  ];
  if (r.reqFrame > 0 && r.reqTime !== undefined) {
    const dt = formatRelTime(nsDelta(now, r.reqTime));
    fields.push(
      rawField('http.time', 'Time since request', 'reltime', Number(dt), dt, at, 0, { generated: true, text: `[Time since request: ${dt} seconds]` }),
    );
  }
  // Wireshark: the time, the previous request and response, then the request this answers.
  if (r.prev !== undefined && r.prev.reqFrame > 0) fields.push(frameNum('http.prev_request_in', 'Prev request in frame', r.prev.reqFrame, at));
  if (r.prev !== undefined && r.prev.resFrame > 0) fields.push(frameNum('http.prev_response_in', 'Prev response in frame', r.prev.resFrame, at));
  if (r.reqFrame > 0 && r.reqTime !== undefined) fields.push(frameNum('http.request_in', 'Request in frame', r.reqFrame, at));
  if (conv.lastUri !== undefined) {
    const u = conv.lastUri;
    fields.push(rawField('http.response_for.uri', 'Request URI', 'string', u, u, at, 0, { generated: true, text: `[Request URI: ${u}]` }));
  }
  return fields;
}

// What the http-versions lab's steps leave for later steps and for the exercises.

import type { Backend } from './backend.ts';
import type { HolResult } from './tcp-hol.ts';

/** One line of the versions table: ten requests one way. */
export interface VersionRow {
  readonly label: string;
  /** TCP connections the client opened to the proxy. */
  readonly clientConns: number;
  /** TCP connections the proxy opened to the backend. */
  readonly backendConns: number;
  readonly totalMs: number;
  /** Median time from a request's send to its complete answer. */
  readonly p50Ms: number;
}

export interface HttpVersionsState {
  /** The TCP head-of-line step loses a segment (a test turns it off to see the checkpoints fail). */
  loseSegment: boolean;
  backend?: Backend;
  rows: VersionRow[];
  /** Connections the HTTP/1.0 client opened for ten requests. */
  http10Conns?: number;
  keepAliveMs?: number;
  /** Pipelined behind the slow request: when the slow answer and the second answer arrived (ms). */
  hol?: { slowMs: number; secondMs: number; fastP50: number; fastMax: number; upstream: number };
  /** Header bytes per request: HTTP/1.1 request heads, HTTP/2 HEADERS frame payloads. */
  hpack?: { h1: number[]; h2: number[] };
  /** The HPACK step's two captures (absolute paths). */
  hpackFiles?: { h1: string; h2: string };
  /** One connection without and with loss, then three connections without and with loss. */
  tcpHol?: HolResult[];
}

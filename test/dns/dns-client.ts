// A minimal DNS client for the server tests: one query over UDP, several over one TCP connection.

import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { encodeDnsMessage } from '../../src/wire/dns-encode.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';
import { DNS_TYPE, dnsFlags, dnsTypeNumber, type DnsMessage, type EdnsOption } from '../../src/wire/dns-types.ts';

export interface QueryOptions {
  id?: number;
  /** EDNS UDP size, or false for no OPT record (default false). */
  edns?: number | false;
  options?: EdnsOption[];
  rd?: boolean;
  class?: number;
}

export function query(name: string, type: string | number, o: QueryOptions = {}): Uint8Array {
  const t = typeof type === 'number' ? type : (dnsTypeNumber(type) ?? DNS_TYPE.A);
  const m: DnsMessage = {
    id: o.id ?? 0x1234,
    flags: dnsFlags({ rd: o.rd ?? false }),
    questions: [{ name, type: t, class: o.class ?? 1 }],
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (o.edns !== undefined && o.edns !== false) m.edns = { udpSize: o.edns, version: 0, do: false, options: o.options ?? [] };
  return encodeDnsMessage(m);
}

/** Sends one datagram; resolves with the reply bytes, or undefined after `timeoutMs`. */
export function udpExchange(address: string, port: number, bytes: Uint8Array, timeoutMs = 1000): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(new Uint8Array(msg));
    });
    s.send(bytes, port, address);
  });
}

/** Sends the queries over one TCP connection (all in one write); resolves with `expect` replies. */
export function tcpExchange(address: string, port: number, queries: Uint8Array[], expect = queries.length, timeoutMs = 2000): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port });
    const d = new DnsTcpDeframer();
    const out: Uint8Array[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, timeoutMs);
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('data', (c: Buffer) => {
      out.push(...d.push(c));
      if (out.length >= expect) {
        clearTimeout(timer);
        s.destroy();
        resolve(out);
      }
    });
    s.on('connect', () => s.write(Buffer.concat(queries.map((q) => frameDnsTcp(q)))));
  });
}

export function decoded(bytes: Uint8Array | undefined): DnsMessage {
  if (bytes === undefined) throw new Error('no reply');
  const d = decodeDnsMessage(bytes);
  if (!d.ok) throw new Error(`reply does not decode: ${d.error.message}`);
  return d.message;
}

// Types for the pcap-parser npm package (used only as a cross-check in tests; it has no typings).
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface GlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  export interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  export interface Packet {
    header: PacketHeader;
    data: Buffer;
  }

  export interface Parser extends EventEmitter {
    on(event: 'globalHeader', listener: (h: GlobalHeader) => void): this;
    on(event: 'packet', listener: (p: Packet) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: 'error', listener: (e: Error) => void): this;
  }

  export function parse(input: string | Readable): Parser;
  const pcapParser: { parse: typeof parse };
  export default pcapParser;
}

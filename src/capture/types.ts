// What the capture readers yield and the writers take. Shared by pcap and pcapng.

/** One interface of a capture (pcapng IDB; a classic pcap file has exactly one). */
export interface CaptureInterface {
  /** LINKTYPE_ number (1 Ethernet, 0 null/loopback, 101 raw IP, 113 SLL, 276 SLL2, 228/229 raw v4/v6). */
  linkType: number;
  snapLength: number;
  /** Ticks per second of this interface's timestamps (1e6 for usec, 1e9 for nsec, from if_tsresol). */
  tsResolution: number;
  /** Bytes of FCS at the end of each frame (pcapng if_fcslen, or the pcap header's FCS bits), else 0. */
  fcsLength: number;
  name?: string;
  description?: string;
  /** The container the interface came from: tshark prints frame.interface_id only for pcapng. */
  container?: 'pcap' | 'pcapng';
}

/** One packet as read from a capture file. */
export interface CapturedPacket {
  /** 1-based frame number, as Wireshark counts. */
  number: number;
  /** Index into the capture's interface list (0 for classic pcap). */
  interfaceId: number;
  iface: CaptureInterface;
  /** Timestamp: whole seconds since the epoch, and nanoseconds within the second. */
  tsSec: number;
  tsNsec: number;
  /** Bytes captured (may be less than origLength when the snap length cut the frame). */
  data: Uint8Array;
  /** Length of the frame on the wire. */
  origLength: number;
  /** Per-packet comments (pcapng opt_comment). */
  comments: string[];
  /** Problems with this record that did not stop reading (e.g. caplen > snaplen), for the user. */
  warnings: string[];
}

/** The container format a reader found. */
export type CaptureFormat = 'pcap-le-usec' | 'pcap-le-nsec' | 'pcap-be-usec' | 'pcap-be-nsec' | 'pcapng-le' | 'pcapng-be';

/** A TLS key log (or other secrets) carried in a pcapng Decryption Secrets Block. */
export interface DecryptionSecrets {
  /** Secrets type; 0x544c534b ('TLSK') is the NSS key log format. */
  type: number;
  data: Uint8Array;
}

/** Raised for a capture file that cannot be read at all (bad magic, unsupported version). */
export class CaptureFormatError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: ${reason} (at byte ${offset})`);
    this.name = 'CaptureFormatError';
  }
}

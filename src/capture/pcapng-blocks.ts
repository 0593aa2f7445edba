// pcapng block types and the fixed part of each block body the reader parses. A block is
// |type u32|total length u32|body ...|total length u32|; `body` below is what lies between.

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
/** The obsolete Packet Block. */
export const BLOCK_PB = 0x00000002;
export const BLOCK_SPB = 0x00000003;
export const BLOCK_NRB = 0x00000004;
export const BLOCK_ISB = 0x00000005;
export const BLOCK_EPB = 0x00000006;
export const BLOCK_SJE = 0x00000009;
export const BLOCK_DSB = 0x0000000a;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Block header (type + length) and trailer (length). */
export const BLOCK_HEADER_LENGTH = 8;
export const BLOCK_TRAILER_LENGTH = 4;
export const BLOCK_MIN_LENGTH = BLOCK_HEADER_LENGTH + BLOCK_TRAILER_LENGTH;

// SHB body: byte-order magic u32, major u16, minor u16, section length i64, options.
export const SHB_BOM = 0;
export const SHB_MAJOR = 4;
export const SHB_MINOR = 6;
export const SHB_OPTIONS = 16;

// IDB body: link type u16, reserved u16, snap length u32, options.
export const IDB_LINKTYPE = 0;
export const IDB_SNAPLEN = 4;
export const IDB_OPTIONS = 8;

// EPB body: interface id u32, timestamp high u32, low u32, captured length u32, original length u32, data, options.
export const EPB_INTERFACE = 0;
export const EPB_TS_HIGH = 4;
export const EPB_TS_LOW = 8;
export const EPB_CAPLEN = 12;
export const EPB_ORIGLEN = 16;
export const EPB_DATA = 20;

// Obsolete PB body: interface id u16, drops count u16, timestamp high u32, low u32, caplen u32, len u32, data, options.
export const PB_INTERFACE = 0;
export const PB_TS_HIGH = 4;
export const PB_TS_LOW = 8;
export const PB_CAPLEN = 12;
export const PB_ORIGLEN = 16;
export const PB_DATA = 20;

// SPB body: original length u32, data.
export const SPB_ORIGLEN = 0;
export const SPB_DATA = 4;

// DSB body: secrets type u32, secrets length u32, data, options.
export const DSB_TYPE = 0;
export const DSB_LENGTH = 4;
export const DSB_DATA = 8;

/** Secrets types of the Decryption Secrets Block. */
export const SECRETS_TYPE = {
  /** 'TLSK': an NSS key log (CLIENT_RANDOM ... lines). */
  TLS_KEY_LOG: 0x544c534b,
  /** 'WGKL': a WireGuard key log. */
  WIREGUARD_KEY_LOG: 0x57474b4c,
  /** 'ZNWK': Zigbee network keys. */
  ZIGBEE_NWK_KEY: 0x5a4e574b,
  /** 'ZAPS': Zigbee APS keys. */
  ZIGBEE_APS_KEY: 0x5a415053,
} as const;

/**
 * Largest block the reader holds in memory to parse (packets, interfaces, secrets). Blocks it does not
 * parse (statistics, names, custom, unknown) are skipped without being buffered, whatever their size.
 */
export const MAX_PARSED_BLOCK = 16 * 1024 * 1024;
/** Larger total block lengths are taken as damage (tshark 4.0's own limit is about 128 MiB). */
export const MAX_BLOCK = 128 * 1024 * 1024 + 131072 + 32;

/** Blocks the reader parses; every other type is skipped unread. */
export function isParsedBlock(type: number): boolean {
  return type === BLOCK_SHB || type === BLOCK_IDB || type === BLOCK_EPB || type === BLOCK_SPB || type === BLOCK_PB || type === BLOCK_DSB;
}

/** The block's name with "a" or "an" in front, for messages. */
export function aBlock(type: number): string {
  const name = blockTypeName(type);
  return /^[AEIOU]/i.test(name) ? `an ${name}` : `a ${name}`;
}

export function blockTypeName(type: number): string {
  switch (type) {
    case BLOCK_SHB:
      return 'Section Header Block';
    case BLOCK_IDB:
      return 'Interface Description Block';
    case BLOCK_PB:
      return 'Packet Block';
    case BLOCK_SPB:
      return 'Simple Packet Block';
    case BLOCK_NRB:
      return 'Name Resolution Block';
    case BLOCK_ISB:
      return 'Interface Statistics Block';
    case BLOCK_EPB:
      return 'Enhanced Packet Block';
    case BLOCK_SJE:
      return 'systemd Journal Export Block';
    case BLOCK_DSB:
      return 'Decryption Secrets Block';
    default:
      return `block type 0x${type.toString(16).padStart(8, '0')}`;
  }
}

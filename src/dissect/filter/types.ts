// Field types as Wireshark names them (`tshark -G fields` prints them), what the display filter
// makes of each, and the wording tshark uses for each in its error messages.

export type FieldType =
  | 'FT_NONE'
  | 'FT_PROTOCOL'
  | 'FT_BOOLEAN'
  | 'FT_CHAR'
  | 'FT_UINT8'
  | 'FT_UINT16'
  | 'FT_UINT24'
  | 'FT_UINT32'
  | 'FT_UINT40'
  | 'FT_UINT48'
  | 'FT_UINT56'
  | 'FT_UINT64'
  | 'FT_INT8'
  | 'FT_INT16'
  | 'FT_INT24'
  | 'FT_INT32'
  | 'FT_INT64'
  | 'FT_FRAMENUM'
  | 'FT_FLOAT'
  | 'FT_DOUBLE'
  | 'FT_ABSOLUTE_TIME'
  | 'FT_RELATIVE_TIME'
  | 'FT_IPv4'
  | 'FT_IPv6'
  | 'FT_ETHER'
  | 'FT_BYTES'
  | 'FT_UINT_BYTES'
  | 'FT_STRING'
  | 'FT_STRINGZ'
  | 'FT_UINT_STRING'
  | 'FT_STRINGZPAD'
  | 'FT_OID';

/** How the filter compares a type. */
export type TypeClass = 'none' | 'protocol' | 'bool' | 'int' | 'float' | 'time' | 'reltime' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'string';

export function typeClass(t: FieldType): TypeClass {
  switch (t) {
    case 'FT_NONE':
      return 'none';
    case 'FT_PROTOCOL':
      return 'protocol';
    case 'FT_BOOLEAN':
      return 'bool';
    case 'FT_FLOAT':
    case 'FT_DOUBLE':
      return 'float';
    case 'FT_ABSOLUTE_TIME':
      return 'time';
    case 'FT_RELATIVE_TIME':
      return 'reltime';
    case 'FT_IPv4':
      return 'ipv4';
    case 'FT_IPv6':
      return 'ipv6';
    case 'FT_ETHER':
      return 'ether';
    case 'FT_BYTES':
    case 'FT_UINT_BYTES':
      return 'bytes';
    case 'FT_STRING':
    case 'FT_STRINGZ':
    case 'FT_UINT_STRING':
    case 'FT_STRINGZPAD':
    case 'FT_OID':
      return 'string';
    default:
      return 'int';
  }
}

/** Bits of an integer type (for "too big for this field"), undefined for the others. */
export function intBits(t: FieldType): { bits: number; signed: boolean } | undefined {
  const m = /^FT_(U?)INT(\d+)$/.exec(t);
  if (m) return { bits: Number(m[2]), signed: m[1] === '' };
  if (t === 'FT_CHAR') return { bits: 8, signed: false };
  if (t === 'FT_FRAMENUM') return { bits: 32, signed: false };
  return undefined;
}

/** tshark's name for a type, as it appears in its filter error messages. */
export function typeDescription(t: FieldType): string {
  const ib = intBits(t);
  if (ib && t !== 'FT_FRAMENUM' && t !== 'FT_CHAR') {
    const bytes = ib.bits / 8;
    return `${ib.signed ? 'Signed' : 'Unsigned'} integer (${bytes} byte${bytes === 1 ? '' : 's'})`;
  }
  const names: Partial<Record<FieldType, string>> = {
    FT_NONE: 'Label',
    FT_PROTOCOL: 'Protocol',
    FT_BOOLEAN: 'Boolean',
    FT_CHAR: 'Character (1 byte)',
    FT_FRAMENUM: 'Frame number',
    FT_FLOAT: 'Floating point (single-precision)',
    FT_DOUBLE: 'Floating point (double-precision)',
    FT_ABSOLUTE_TIME: 'Date and time',
    FT_RELATIVE_TIME: 'Time offset',
    FT_IPv4: 'IPv4 address',
    FT_IPv6: 'IPv6 address',
    FT_ETHER: 'Ethernet or other MAC address',
    FT_BYTES: 'Byte sequence',
    FT_UINT_BYTES: 'Byte sequence',
    FT_STRING: 'Character string',
    FT_STRINGZ: 'Character string',
    FT_UINT_STRING: 'Character string',
    FT_STRINGZPAD: 'Character string',
    FT_OID: 'ASN.1 object identifier',
  };
  return names[t] ?? t;
}

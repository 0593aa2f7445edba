// Names for the TLS numbers the labs print, from the wire layer's IANA tables (src/wire/tls-names.ts):
// RFC 8446's identifiers (ClientHello, change_cipher_spec) where Wireshark's labels differ.

import { CIPHER_SUITE_NAMES, CONTENT_TYPE_NAMES, GROUP_NAMES, HANDSHAKE_TYPE_NAMES, SIGNATURE_SCHEME_NAMES } from '../../src/wire/index.ts';

type Names = Readonly<Record<number, string>>;

function mapValues(table: Names, f: (name: string) => string): Names {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, f(v)]));
}

/** change_cipher_spec (20), alert (21), handshake (22), application_data (23): RFC 8446 §5.1. */
export const CONTENT_TYPE: Names = mapValues(CONTENT_TYPE_NAMES, (n) => n.toLowerCase().replace(/ /g, '_'));

/** ClientHello (1), ServerHello (2), ...: RFC 8446 §4. */
export const HANDSHAKE_TYPE: Names = mapValues(HANDSHAKE_TYPE_NAMES, (n) =>
  n
    .split(' ')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(''),
);

export const CIPHER_SUITE: Names = CIPHER_SUITE_NAMES;
export const GROUP: Names = GROUP_NAMES;
export const SIGNATURE_SCHEME: Names = SIGNATURE_SCHEME_NAMES;
/** The version as the labs write it: TLS 1.2, TLS 1.3. */
export const VERSION: Names = { 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' };

/** `NAME (n)`, or the number alone when it has no name here. */
export function named(table: Names, n: number, hex = false): string {
  const num = hex ? `0x${n.toString(16).padStart(4, '0')}` : String(n);
  const name = table[n];
  return name === undefined ? num : `${name} (${num})`;
}

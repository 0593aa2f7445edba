// The signature-scheme field TLS hellos and X.509 signatures share: Wireshark's TLS 1.2 split of its
// two bytes into a hash and a signature algorithm. Its own file so that the TLS and the X.509 field
// builders both import it without importing each other.

import { HASH_ALGORITHM_NAMES, SIGNATURE_ALGORITHM_NAMES, signatureSchemeName } from '../../wire/tls-names.ts';
import { type Field, hex, uintDec, uintHex } from '../field.ts';

/** One signature scheme with Wireshark's TLS 1.2 hash/signature split of its two bytes. */
export function sigHashField(v: number, offset: number): Field {
  const h = v >> 8;
  const s = v & 0xff;
  return uintHex('tls.handshake.sig_hash_alg', 'Signature Algorithm', v, 4, offset, 2, {
    text: `Signature Algorithm: ${signatureSchemeName(v)} (${hex(v, 4)})`,
    children: [
      uintDec('tls.handshake.sig_hash_hash', 'Signature Hash Algorithm Hash', h, offset, 1, {
        text: `Signature Hash Algorithm Hash: ${HASH_ALGORITHM_NAMES[h] ?? 'Unknown'} (${h})`,
      }),
      uintDec('tls.handshake.sig_hash_sig', 'Signature Hash Algorithm Signature', s, offset + 1, 1, {
        text: `Signature Hash Algorithm Signature: ${SIGNATURE_ALGORITHM_NAMES[s] ?? 'Unknown'} (${s})`,
      }),
    ],
  });
}

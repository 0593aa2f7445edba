// Dropbox LAN sync discovery (`db-lsp-disc`, UDP port 17500) as Wireshark 4.0 shows it: a protocol
// with no fields of its own whose datagram is JSON, shown by the json dissector inside its tree.
// Protocol column "DB-LSP-DISC/JSON"; Info "Dropbox LAN sync Discovery Protocol, JavaScript Object
// Notation".

import type { Udp } from '../../wire/udp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import type { ProtoNode } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { jsonNode } from './json.ts';

registerFields({ 'db-lsp-disc': 'FT_PROTOCOL' });

export const DB_LSP_DISC_UDP_PORT = 17500;
const LABEL = 'Dropbox LAN sync Discovery Protocol';

export function isDbLspDisc(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const v = prev.value as Udp;
  return v.srcPort === DB_LSP_DISC_UDP_PORT || v.dstPort === DB_LSP_DISC_UDP_PORT;
}

/** The db-lsp-disc node and the json node inside it. */
export function mapDbLspDisc(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const off = layer.offset;
  const end = Math.min(off + layer.length, ctx.frame.length);
  const json = jsonNode(ctx.frame, off, end);
  json.inside = true;
  json.columns = { protocol: 'DB-LSP-DISC/JSON', info: `${LABEL}, JavaScript Object Notation` };
  return [{ proto: 'db-lsp-disc', label: LABEL, offset: off, length: end - off, fields: [], malformed: [] }, json];
}

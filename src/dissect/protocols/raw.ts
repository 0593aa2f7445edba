// Raw IP (LINKTYPE_RAW): Wireshark's "Raw packet data" protocol, with no fields of its own.

import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import type { ProtoNode } from '../field.ts';

export function mapRaw(layer: DecodedLayer, _ctx: DissectContext): ProtoNode[] {
  return [
    {
      proto: 'raw',
      label: 'Raw packet data',
      offset: layer.offset,
      length: 0,
      fields: [],
      malformed: layer.malformed,
      columns: { protocol: 'Raw', info: 'Raw packet data' },
    },
  ];
}

// The decoder registry: layer kind -> decoder, and pcap link type -> first layer kind.
// Link-layer and network-layer decoders live in decoders-link.ts, transport and tunnels in
// decoders-transport.ts; this file only joins them.

import { LINK_DECODERS, LINK_TYPE_FIRST_LAYER } from './decoders-link.ts';
import { TRANSPORT_DECODERS } from './decoders-transport.ts';
import type { LayerDecoder } from './layer.ts';

export const DECODERS: Readonly<Record<string, LayerDecoder>> = { ...LINK_DECODERS, ...TRANSPORT_DECODERS };

export const LINK_TYPE_DECODER: Readonly<Record<number, string>> = LINK_TYPE_FIRST_LAYER;

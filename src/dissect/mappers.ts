// The mapper registry: decoded layer kind -> the function that names its fields as Wireshark does.

import { LINK_MAPPERS } from './protocols/link-mappers.ts';
import { TRANSPORT_MAPPERS } from './protocols/transport-mappers.ts';
import type { ProtocolMapper } from './context.ts';

export const MAPPERS: Readonly<Record<string, ProtocolMapper>> = { ...LINK_MAPPERS, ...TRANSPORT_MAPPERS };

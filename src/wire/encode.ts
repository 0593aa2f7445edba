// Composition in the spirit of scapy: encode([ethernet({...}), ipv4({...}), tcp({...}), payload(...)])
// emits from the innermost layer outwards, so each layer sees its finished payload and fills every
// length, type, protocol number and checksum the user left unset. Every such field can also be set
// explicitly, to a wrong value on purpose.

import { concatBytes } from './layer.ts';

/**
 * A layer to be encoded. `kind` names it ('ethernet', 'ipv4', 'tcp', 'payload'...); the fields are the
 * user's settings (anything unset is computed). `emit` returns this layer's bytes with the payload
 * already inside (header + payload + trailer).
 */
export interface LayerSpec {
  readonly kind: string;
  emit(payload: Uint8Array, ctx: EmitContext): Uint8Array;
}

/** What a layer can see while emitting: the layers around it, nearest first. */
export interface EmitContext {
  /** Layers outside this one, nearest first (outer[0] is the layer that will carry this one). */
  outer: readonly LayerSpec[];
  /** Layers inside this one, nearest first (inner[0] is this layer's payload's layer). */
  inner: readonly LayerSpec[];
}

/** Encodes a stack of layers, outermost first, into one frame. */
export function encode(layers: readonly LayerSpec[]): Uint8Array {
  let bytes: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    const outer = layers.slice(0, i).reverse();
    const inner = layers.slice(i + 1);
    bytes = layers[i].emit(bytes, { outer, inner });
  }
  return bytes;
}

/** Nearest spec of a kind among `specs` (nearest first), typed. */
export function nearestSpec<T extends LayerSpec>(specs: readonly LayerSpec[], ...kinds: string[]): T | undefined {
  return specs.find((s) => kinds.includes(s.kind)) as T | undefined;
}

export interface PayloadSpec extends LayerSpec {
  readonly kind: 'payload';
  readonly data: Uint8Array;
}

/** Raw application bytes (a string is taken as UTF-8). Whatever the layers above carry. */
export function payload(data: Uint8Array | string): PayloadSpec {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return {
    kind: 'payload',
    data: bytes,
    emit(inner: Uint8Array): Uint8Array {
      return inner.length === 0 ? bytes : concatBytes([bytes, inner]);
    },
  };
}

// Compression at run time: a route's `compression` config turned into a hook that forward.ts calls
// with the response head. It decides (features/compression.ts: body, encoding, no-transform, type,
// size, Accept-Encoding with q-values), rewrites the fields in place (Content-Encoding set,
// Content-Length dropped so the body goes chunked, a strong ETag made weak, Vary: Accept-Encoding
// added) and returns a streaming transform: each upstream chunk goes through node:zlib as it comes,
// with backpressure, never the whole body in memory.

import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HttpField } from '../wire/http.ts';
import type { CompressionConfig } from './config-features.ts';
import { addVary, type Coding, compressionDecision, createCompressor, type SkipReason } from './features/compression.ts';

/** What forward.ts does with a response on its way to the client. */
export interface ResponseReshape {
  readonly fields: HttpField[];
  /** The body as the client gets it (the upstream's, or a transform of it). */
  readonly body: (upstream: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;
}

export type ResponseReshaper = (status: number, fields: HttpField[]) => ResponseReshape | undefined;

function record(fields: readonly HttpField[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const n = f.name.toLowerCase();
    out[n] = out[n] === undefined ? f.value : `${out[n]}, ${f.value}`;
  }
  return out;
}

/** The body through a compressor, chunk by chunk; an upstream error ends the iteration with that error. */
async function* through(upstream: AsyncIterable<Uint8Array>, z: Transform): AsyncIterable<Uint8Array> {
  const done = pipeline(Readable.from(upstream, { objectMode: false }), z);
  done.catch(() => undefined); // the error reaches the reader below through z
  try {
    for await (const chunk of z) yield chunk as Uint8Array;
    await done;
  } finally {
    z.destroy();
  }
}

/**
 * The hook for one request to a route with compression. `onDecision` hears each outcome (the coding,
 * or why not). Server-Sent Events are never compressed: a compressor holds small events back.
 */
export function compressionReshaper(
  cfg: CompressionConfig,
  method: string,
  requestFields: readonly HttpField[],
  onDecision?: (d: Coding | SkipReason) => void,
): ResponseReshaper {
  return (status, fields) => {
    const resHeaders = record(fields);
    if ((resHeaders['content-type'] ?? '').toLowerCase().startsWith('text/event-stream')) return undefined;
    const d = compressionDecision(
      { method, status, requestHeaders: record(requestFields), responseHeaders: resHeaders },
      { minSize: cfg.minSizeBytes, codings: cfg.codings, ...(cfg.types === undefined ? {} : { types: cfg.types }) },
    );
    onDecision?.(d.compress ? d.coding : d.reason);
    if (!d.vary) return undefined;
    const out: HttpField[] = [];
    for (const f of fields) {
      const n = f.name.toLowerCase();
      if (n === 'vary') continue;
      if (d.compress && n === 'content-length') continue;
      if (d.compress && n === 'etag' && f.value.startsWith('"')) out.push({ name: f.name, value: `W/${f.value}` });
      else out.push(f);
    }
    out.push({ name: 'Vary', value: addVary(resHeaders.vary) });
    if (!d.compress) return { fields: out, body: (b) => b };
    out.push({ name: 'Content-Encoding', value: d.coding });
    const length = Number(resHeaders['content-length']);
    const coding = d.coding;
    return {
      fields: out,
      body: (b) =>
        through(
          b,
          createCompressor(coding, {
            level: coding === 'gzip' ? cfg.gzipLevel : cfg.brotliQuality,
            ...(Number.isInteger(length) ? { sizeHint: length } : {}),
          }),
        ),
    };
  };
}

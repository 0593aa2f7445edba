// Every capture in test/captures, as MANIFEST.tsv describes it: format, link types, packet
// count; the three files tshark refuses are refused with tshark's reason.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture, parseCapture } from '../../src/capture/read.ts';
import { CaptureFormatError, type CapturedPacket } from '../../src/capture/types.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const DIR = SHARED_CAPTURES;

interface Row {
  file: string;
  format: string;
  linkTypes: number[];
  packets: number | undefined;
  notes: string;
}

function manifest(): Row[] {
  const lines = readFileSync(join(DIR, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const head = lines[0].split('\t');
  const col = (name: string): number => head.indexOf(name);
  return lines.slice(1).map((line) => {
    const f = line.split('\t');
    return {
      file: f[col('file')],
      format: f[col('format')],
      linkTypes: parseLinkTypes(f[col('linktype')]),
      packets: f[col('packets')] === 'n/a' ? undefined : Number(f[col('packets')]),
      notes: f[col('notes')],
    };
  });
}

/** "1 EN10MB [...]" -> [1]; "11 IDBs: 1 EN10MB x2;113 LINUX_SLL;..." -> one entry per IDB. */
function parseLinkTypes(s: string): number[] {
  const m = /^\d+ IDBs: ([^[]+)/.exec(s);
  if (m === null) return [Number(s.split(' ')[0])];
  const out: number[] = [];
  for (const part of m[1].trim().split(';')) {
    const n = Number(part.trim().split(' ')[0]);
    const times = /x(\d+)\s*$/.exec(part.trim());
    for (let i = 0; i < (times === null ? 1 : Number(times[1])); i++) out.push(n);
  }
  return out;
}

async function readAll(path: string): Promise<{ packets: CapturedPacket[]; cap: Awaited<ReturnType<typeof openCapture>> }> {
  const cap = await openCapture(path);
  const packets: CapturedPacket[] = [];
  for await (const p of cap.packets()) packets.push(p);
  return { packets, cap };
}

const rows = manifest();

describe('shared captures (MANIFEST.tsv)', () => {
  it('lists the captures', () => {
    expect(rows.length).toBeGreaterThan(50);
  });

  for (const row of rows.filter((r) => r.packets !== undefined)) {
    it(`${row.file}: ${row.format}, ${row.packets} packets, link types ${row.linkTypes.join(',')}`, async () => {
      const { packets, cap } = await readAll(join(DIR, row.file));
      expect(cap.format).toBe(row.format);
      expect(packets.length).toBe(row.packets);
      expect(cap.interfaces.map((i) => i.linkType)).toEqual(row.linkTypes);
      expect(cap.error).toBeUndefined();
      packets.forEach((p, i) => {
        expect(p.number).toBe(i + 1);
        expect(p.iface).toBe(cap.interfaces[p.interfaceId]);
        expect(p.data.length).toBeLessThanOrEqual(Math.max(p.origLength, p.data.length));
      });
      // The in-memory parse is the same parser fed one chunk: same packets.
      const mem = parseCapture(readFileSync(join(DIR, row.file)), row.file);
      expect(mem.format).toBe(cap.format);
      expect(mem.packets.map(strip)).toEqual(packets.map(strip));
    });
  }

  for (const row of rows.filter((r) => r.packets === undefined)) {
    const tsharkReason = /TShark doesn't support\. \((.*)\)$/.exec(row.notes)?.[1];
    it(`${row.file} is refused like tshark does: ${tsharkReason}`, async () => {
      expect(tsharkReason).toBeDefined();
      const err = await openCapture(join(DIR, row.file)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CaptureFormatError);
      expect((err as CaptureFormatError).message).toContain(tsharkReason);
      expect((err as CaptureFormatError).message).toContain(row.file);
      expect(() => parseCapture(readFileSync(join(DIR, row.file)))).toThrow(CaptureFormatError);
    });
  }
});

function strip(p: CapturedPacket): unknown {
  return { n: p.number, i: p.interfaceId, s: p.tsSec, ns: p.tsNsec, d: Buffer.from(p.data).toString('hex'), o: p.origLength, c: p.comments, w: p.warnings };
}

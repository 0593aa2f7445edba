// A capture held for the view: its frames read once (bytes kept, summary lines computed), the packet
// list paged and filtered with netlab's display filter, and the tree of any frame.
//
// The dissector keeps state across frames (TCP streams, relative sequence numbers, time deltas), so
// a frame's tree is only right after every frame before it was dissected in order. The model keeps
// one running DissectState (a cursor): moving forward continues from it, moving back starts again
// from frame 1. The trees around the selection are cached, so stepping with the arrow keys costs
// one frame, and a jump costs one pass up to the frame.

import { type CaptureReader, openCapture } from '../capture/read.ts';
import type { CapturedPacket, DecryptionSecrets } from '../capture/types.ts';
import { DissectState } from '../dissect/context.ts';
import { dissect } from '../dissect/dissect.ts';
import type { Dissection } from '../dissect/dissection.ts';
import type { Field } from '../dissect/field.ts';
import { compileFilter, type Filter, FilterError, formatFilterError } from '../dissect/filter/index.ts';
import { summaryLine, timeColumn } from '../dissect/summary.ts';
import { fieldLine } from '../dissect/tree-output.ts';
import type { FilterErrorJson, FrameJson, ListPage, ListRow, TreeNode } from './types.ts';

/** The most rows one list request returns. */
export const MAX_PAGE = 1000;
/** Trees kept around the selection, each side. */
const TREE_WINDOW = 64;
/** Trees kept at most. */
const TREE_CACHE = 512;
/** Filtered lists kept (the last few filters typed). */
const FILTER_CACHE = 4;
/** Milliseconds of reading between two turns of the event loop while a capture loads. */
const YIELD_MS = 15;

/** A display filter that did not compile, as the page shows it. */
export class ViewFilterError extends Error {
  constructor(readonly json: FilterErrorJson) {
    super(json.message);
  }
}

/** The layer tree of a dissection: the lines of `netlab decode -V`, each with its byte span. */
export function treeOf(d: Dissection): TreeNode[] {
  const children = new Map<number, number[]>();
  d.protos.forEach((_, i) => {
    const parent = d.parents?.[i] ?? -1;
    const list = children.get(parent) ?? [];
    list.push(i);
    children.set(parent, list);
  });
  const fields = (fs: readonly Field[]): TreeNode[] =>
    fs
      .filter((f) => !f.hidden)
      .map((f) => {
        const node: TreeNode = { text: fieldLine(f), offset: f.offset, length: f.length, name: f.name, children: f.children ? fields(f.children) : [] };
        if (f.generated) node.generated = true;
        return node;
      });
  const visit = (i: number): TreeNode[] => {
    const p = d.protos[i];
    const nested = (children.get(i) ?? []).flatMap(visit);
    // A protocol with no tree of its own (ethertype) puts what it carries at its own level.
    if (p.noTree) return nested;
    // A field marked afterNested (an ICMP multi-part extension) follows the protocols nested inside, as in -V.
    const before = fields(p.fields.filter((f) => f.afterNested !== true));
    const after = fields(p.fields.filter((f) => f.afterNested === true));
    return [{ text: p.label, offset: p.offset, length: p.length, name: p.proto, proto: true, children: [...before, ...nested, ...after] }];
  };
  return (children.get(-1) ?? []).flatMap(visit);
}

/** The lines of a tree as `netlab decode -V` prints them (4 spaces a level). */
export function treeText(nodes: readonly TreeNode[], depth = 0): string[] {
  return nodes.flatMap((n) => [' '.repeat(depth * 4) + n.text, ...treeText(n.children, depth + 1)]);
}

function rowOf(d: Dissection): ListRow {
  const c = d.columns;
  const row: ListRow = {
    no: d.packet.number,
    line: summaryLine(d),
    time: timeColumn(d),
    src: c.src,
    dst: c.dst,
    protocol: c.protocol,
    length: d.packet.origLength,
    info: c.info,
  };
  if (d.malformed.length > 0) row.bad = true;
  return row;
}

/** A frame's row; a dissector bug on one frame is shown on its row, never ends the view. */
function safeRow(p: CapturedPacket, state: DissectState): ListRow {
  try {
    return rowOf(dissect(p, state));
  } catch (err) {
    const info = `netlab could not dissect this frame: ${(err as Error).message}`;
    return { no: p.number, line: `${p.number} ${info}`, time: '', src: '', dst: '', protocol: '', length: p.origLength, info, bad: true };
  }
}

function hexOf(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

function problemsOf(d: Dissection): string[] {
  return d.malformed.map((m) => `${m.layer} at offset ${m.offset}: ${m.reason}`);
}

/** Compiles a filter for the view; a FilterError becomes a ViewFilterError with its column. */
export function compileViewFilter(text: string): Filter {
  try {
    return compileFilter(text);
  } catch (err) {
    if (err instanceof FilterError) {
      const json: FilterErrorJson = { error: 'filter', message: err.message, text: formatFilterError(text, err) };
      if (err.pos !== undefined) {
        json.column = err.pos;
        json.length = Math.max(1, err.len);
      }
      throw new ViewFilterError(json);
    }
    if (err instanceof RangeError) {
      throw new ViewFilterError({ error: 'filter', message: `the display filter could not be compiled: ${err.message}`, text: err.message });
    }
    throw err;
  }
}

interface FilteredList {
  /** Indexes (0-based) of the frames the filter keeps. */
  indexes: Uint32Array;
  problems: string[];
}

export class CaptureModel {
  private readonly trees = new Map<number, FrameJson>();
  private readonly filtered = new Map<string, FilteredList>();
  private cursor = new DissectState();
  /** Index of the next frame the cursor would dissect. */
  private cursorNext = 0;

  private readonly packets: CapturedPacket[] = [];
  private readonly rows: ListRow[] = [];
  private reading = true;
  private stopped = false;
  private readError: string | undefined;
  /** Settles when the whole capture has been read (or reading stopped). */
  readonly loaded: Promise<void>;

  private constructor(
    readonly file: string,
    private readonly capture: CaptureReader,
  ) {
    this.loaded = this.read(capture);
  }

  /** The capture's Decryption Secrets Blocks read so far (pcapng; TLS key logs among them). */
  get secrets(): readonly DecryptionSecrets[] {
    return this.capture.secrets;
  }

  /**
   * Opens the capture (a file that is missing or not a capture throws here) and reads it in the
   * background: each frame's bytes are kept and its summary row made. The list and the trees are
   * there for the frames read so far, so a big capture shows its first frames at once.
   */
  static async open(file: string): Promise<CaptureModel> {
    return new CaptureModel(file, await openCapture(file));
  }

  /** Opens the capture and waits until every frame is read. */
  static async load(file: string): Promise<CaptureModel> {
    const model = await CaptureModel.open(file);
    await model.loaded;
    return model;
  }

  private async read(capture: CaptureReader): Promise<void> {
    const state = new DissectState();
    let lastYield = performance.now();
    try {
      for await (const p of capture.packets()) {
        this.packets.push(p);
        this.rows.push(safeRow(p, state));
        // Let the server answer between batches while a big capture is read.
        if (performance.now() - lastYield > YIELD_MS) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
          if (this.stopped) break;
        }
      }
    } catch (err) {
      this.readError = (err as Error).message;
    } finally {
      await capture.close();
      this.reading = false;
    }
    if (capture.error !== undefined) this.readError = `damaged at frame ${capture.error.frame} (byte ${capture.error.offset}): ${capture.error.reason}`;
  }

  /** Stops reading (the server is closing); resolves when the file is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loaded;
  }

  /** True while frames are still being read. */
  get loading(): boolean {
    return this.reading;
  }

  /** Why reading stopped early (a damaged record), if it did. */
  get error(): string | undefined {
    return this.readError;
  }

  get frames(): number {
    return this.packets.length;
  }

  /** The frames read so far, in order (frame n at index n - 1); the view's stream and sequence models read them. */
  get packetsRead(): readonly CapturedPacket[] {
    return this.packets;
  }

  /** One page of the list, filtered (throws ViewFilterError for a filter that does not compile). */
  list(offset: number, limit: number, filterText = ''): ListPage {
    const count = Math.max(0, Math.min(limit, MAX_PAGE));
    const text = filterText.trim();
    if (text === '') {
      const rows = this.rows.slice(offset, offset + count);
      return { filter: '', total: this.rows.length, loading: this.reading, offset, rows, problems: [] };
    }
    const f = this.filterList(text);
    const rows = Array.from(f.indexes.subarray(offset, offset + count), (i) => this.rows[i]);
    return { filter: text, total: f.indexes.length, loading: this.reading, offset, rows, problems: f.problems };
  }

  /** The frames a filter keeps: one pass over the capture, as `netlab decode -Y` makes. */
  private filterList(text: string): FilteredList {
    // Keyed by the frames read too: while a capture loads, a filter covers the frames read so far.
    const key = `${this.packets.length}\u0000${text}`;
    const hit = this.filtered.get(key);
    if (hit !== undefined) return hit;
    const filter = compileViewFilter(text);
    const state = new DissectState();
    const keep: number[] = [];
    const count = this.packets.length;
    for (let i = 0; i < count; i++) {
      let d: Dissection;
      try {
        d = dissect(this.packets[i], state);
      } catch {
        continue; // shown on its row as not dissected; a filter cannot match it
      }
      if (filter.matches(d)) keep.push(i);
    }
    const result = { indexes: Uint32Array.from(keep), problems: [...filter.problems] };
    this.filtered.set(key, result);
    if (this.filtered.size > FILTER_CACHE) this.filtered.delete(this.filtered.keys().next().value as string);
    return result;
  }

  /** The tree and bytes of frame `no` (1-based), or undefined when there is no such frame. */
  frame(no: number): FrameJson | undefined {
    if (!Number.isInteger(no) || no < 1 || no > this.packets.length) return undefined;
    const cached = this.trees.get(no);
    if (cached !== undefined) return cached;
    const index = no - 1;
    if (index < this.cursorNext) {
      this.cursor = new DissectState();
      this.cursorNext = 0;
    }
    const last = Math.min(this.packets.length - 1, index + TREE_WINDOW);
    while (this.cursorNext <= last) {
      const i = this.cursorNext++;
      const p = this.packets[i];
      try {
        const d = dissect(p, this.cursor);
        if (i >= index - TREE_WINDOW) this.keep(d);
      } catch (err) {
        if (i >= index - TREE_WINDOW) {
          const problem = `netlab could not dissect this frame: ${(err as Error).message}`;
          this.store({ no: p.number, summary: this.rows[i].line, tree: [], bytes: hexOf(p.data), problems: [problem] });
        }
      }
    }
    return this.trees.get(no);
  }

  private keep(d: Dissection): void {
    this.store({ no: d.packet.number, summary: summaryLine(d), tree: treeOf(d), bytes: hexOf(d.packet.data), problems: problemsOf(d) });
  }

  private store(f: FrameJson): void {
    this.trees.delete(f.no);
    this.trees.set(f.no, f);
    while (this.trees.size > TREE_CACHE) this.trees.delete(this.trees.keys().next().value as number);
  }
}

// The JSON of a lab run as the lab pages read it: `netlab lab run NAME --web` sends it live (the
// whole run so far, then one event at a time), and the static index.html written beside a lab's
// captures embeds it. One set of types for the runner, the server and the page.

/** A picture a step draws: SVG in the page; at the terminal, its text form. */
export type Figure = LineFigure | BarFigure | ChecksumFigure | TreeFigure;

/** Lines against a shared x axis (cwnd and ssthresh against time). */
export interface LineFigure {
  kind: 'line';
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: [number, number][]; dashed?: boolean; step?: boolean }[];
  /** The terminal's form ('' when the step already prints the same numbers). */
  text?: string;
}

/** Counts per category for each series, drawn as one bar per series split by category (requests per server, per policy). */
export interface BarFigure {
  kind: 'bars';
  title: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  unit: string;
  text?: string;
}

/** The one's-complement sum worked word by word: each word, the running sum, the folds, the result. */
export interface ChecksumFigure {
  kind: 'checksum';
  title: string;
  words: { label: string; value: number; sum: number }[];
  folds: { sum: number; low: number; carry: number; next: number }[];
  folded: number;
  checksum: number;
  text?: string;
}

/** A record a tree node sent back, with its TTL as sent and when it arrived. */
export interface TreeRecord {
  section: 'answer' | 'authority' | 'additional';
  name: string;
  type: string;
  ttl: number;
  data: string;
}

/** One node of a tree (a server asked): its parent, the edge from it, the records it sent back. */
export interface TreeNode {
  label: string;
  /** A second line: an address. */
  detail: string;
  /** Index of the parent node (none: a root). */
  parent?: number;
  /** What leads from the parent to here (`referral: com`). */
  edge?: string;
  /** Wall-clock ms since the epoch when the node's records arrived: their TTLs count down from it. */
  at: number;
  records: TreeRecord[];
}

/**
 * A tree of servers (the DNS referral chain) with the records each sent and, beside it, the cache
 * they filled with each entry's expiry: the page counts every TTL down from the run's own times.
 */
export interface TreeFigure {
  kind: 'tree';
  title: string;
  nodes: TreeNode[];
  cache?: { title: string; entries: { name: string; type: string; data: string; ttl: number; expires: number }[] };
  text?: string;
}

export type CellJson = string | number | boolean | null;

/** What a step shows, in order. */
export type ShowJson =
  | { kind: 'text'; text: string }
  | { kind: 'table'; head: string[]; rows: CellJson[][]; title?: string }
  | { kind: 'pre'; lines: string[] }
  | { kind: 'figure'; figure: Figure }
  | { kind: 'skipped'; reason: string };

export interface CheckJson {
  label: string;
  passed: boolean;
  observed: string;
  expected: string;
}

export interface CaptureJson {
  /** As printed (relative to the working directory when inside it). */
  path: string;
  /** The file name inside the lab's folder (the static page links to it). */
  file: string;
  frames: number;
  filters: { filter: string; about?: string }[];
  /** Its number in the run, for /capture/N (the capture view of the live page). */
  id: number;
}

/** One line of an exercise's exchange: the learner's answer and its grade, a hint, the answer shown. */
export interface ExchangeJson {
  kind: 'answer' | 'hint' | 'shown' | 'skipped' | 'reveal';
  text: string;
  correct?: boolean;
  /** Where the answer came from. */
  from?: 'page' | 'terminal' | 'script';
}

export interface ItemJson {
  kind: 'step' | 'exercise';
  /** 0-based place in the lab's plan. */
  position: number;
  total: number;
  title: string;
  /** The step's explanation, or the exercise's task. */
  text: string;
  shows: ShowJson[];
  checks: CheckJson[];
  captures: CaptureJson[];
  /** Exercises: what to type, and the exchange so far. */
  expects?: string;
  exchange?: ExchangeJson[];
  /** 'running' until the item ends; exercises end with their outcome. */
  state: 'running' | 'done' | 'failed' | 'right' | 'revealed' | 'skipped' | 'quit' | 'checked';
}

export interface LabJson {
  name: string;
  title: string;
  duration: string;
  outDir: string;
  items: ItemJson[];
  /** Captures closed at the lab's end (not in any step). */
  captures: CaptureJson[];
  checks: CheckJson[];
  passed?: number;
  failed?: number;
  done: boolean;
  /** The lab's virtual networks as they stood at its end (the static index.html draws them). */
  topology?: TopologyJson[];
  /** Each step's sequence diagram (the static index.html draws them). */
  sequences?: StepSequenceJson[];
}

export interface LabRunJson {
  labs: LabJson[];
  /** Set while the run waits for the learner: at an exercise (an answer) or between steps (Enter). */
  waiting?: { kind: 'exercise' | 'pause'; title: string };
  done: boolean;
  /** The time the run started, ISO 8601. */
  started: string;
}

/** A change to the run; the page applies it to its copy (applyLabEvent does both sides). */
export type LabEvent =
  | { type: 'lab'; name: string; title: string; duration: string; outDir: string }
  | { type: 'item'; kind: 'step' | 'exercise'; position: number; total: number; title: string; text: string; expects?: string }
  | { type: 'show'; show: ShowJson }
  | { type: 'check'; check: CheckJson }
  | { type: 'captures'; captures: CaptureJson[] }
  | { type: 'exchange'; exchange: ExchangeJson }
  | { type: 'item-end'; state: ItemJson['state'] }
  | { type: 'waiting'; waiting: LabRunJson['waiting'] | null }
  | { type: 'lab-end'; passed: number; failed: number }
  | { type: 'done' };

/** Applies one event to a run (the runner's record, the server's copy and the page's all use this). */
export function applyLabEvent(run: LabRunJson, e: LabEvent): void {
  const lab = run.labs.at(-1);
  const item = lab?.items.at(-1);
  const open = item !== undefined && item.state === 'running' ? item : undefined;
  switch (e.type) {
    case 'lab':
      run.labs.push({ name: e.name, title: e.title, duration: e.duration, outDir: e.outDir, items: [], captures: [], checks: [], done: false });
      return;
    case 'item':
      lab?.items.push({
        kind: e.kind,
        position: e.position,
        total: e.total,
        title: e.title,
        text: e.text,
        shows: [],
        checks: [],
        captures: [],
        state: 'running',
        ...(e.expects === undefined ? {} : { expects: e.expects, exchange: [] }),
      });
      return;
    case 'show':
      open?.shows.push(e.show);
      return;
    case 'check':
      (open?.checks ?? lab?.checks)?.push(e.check);
      return;
    case 'captures':
      // A step's captures close at its end, before item-end; the rest close at the lab's end.
      (open?.captures ?? lab?.captures)?.push(...e.captures);
      return;
    case 'exchange':
      open?.exchange?.push(e.exchange);
      return;
    case 'item-end':
      if (open !== undefined) open.state = e.state;
      return;
    case 'waiting':
      if (e.waiting === null || e.waiting === undefined) delete run.waiting;
      else run.waiting = e.waiting;
      return;
    case 'lab-end':
      if (lab !== undefined) {
        lab.passed = e.passed;
        lab.failed = e.failed;
        lab.done = true;
      }
      return;
    case 'done':
      run.done = true;
      delete run.waiting;
      return;
  }
}

export function emptyRun(started = new Date().toISOString()): LabRunJson {
  return { labs: [], done: false, started };
}

// ---- the live topology ----------------------------------------------------------------------------

export interface TopoNodeJson {
  name: string;
  kind: 'host' | 'router' | 'switch';
  /** Tables as rows under a head: `MAC table`, `ARP cache`, `Routes`, `NAT`. */
  tables: { title: string; head: string[]; rows: string[][] }[];
}

export interface TopoLinkJson {
  name: string;
  /** Port names at each end (`h1-eth0`, `sw1-p1`) and the nodes they belong to. */
  a: string;
  b: string;
  aNode: string;
  bNode: string;
}

/** A virtual network as it stands: nodes with their tables, links, frames sent so far. */
export interface TopologyJson {
  id: number;
  /** The lab that built it. */
  name: string;
  nodes: TopoNodeJson[];
  links: TopoLinkJson[];
  frames: number;
  closed: boolean;
}

/** A frame that crossed a link (sent on the page's event stream as `frame`). */
export interface TopoFrameJson {
  net: number;
  link: string;
  from: string;
  to: string;
  /** A one-line summary: `ARP who-has 192.168.1.3`, `IPv4 ICMP 192.168.1.2 > 192.168.1.3`. */
  summary: string;
}

// ---- the sequence diagram of each step ------------------------------------------------------------

/** One frame a step's networks carried, as an arrow from its sender's column to its receiver's. */
export interface LabArrowJson {
  /** Its number among the step's frames (0-based; the oldest are dropped past MAX_STEP_ARROWS). */
  index: number;
  /** Simulated time since its network was built: `12.345 ms`. */
  time: string;
  from: number;
  to: number;
  /** The short label the capture view's sequence diagram draws ("SYN", "Who has 10.0.0.2? Tell 10.0.0.1"). */
  label: string;
  protocol: string;
  /** The packet list's Info column, the link it crossed (`lan1: h1-eth0 -> sw1-p1`). */
  info: string;
  link: string;
  /** The frame's bytes in hex and its layer tree as `netlab decode -V` prints it. */
  hex: string;
  tree: string[];
  bad?: boolean;
}

/** The sequence diagram of one step: its columns (nodes, `broadcast`) and its last arrows. */
export interface StepSequenceJson {
  /** The lab's index in the run and the step's position in the lab's plan. */
  lab: number;
  position: number;
  hosts: string[];
  /** The last MAX_STEP_ARROWS arrows, oldest first. */
  arrows: LabArrowJson[];
  /** Frames the step's networks carried (counted even when dropped). */
  total: number;
}

/** Arrows kept per step (the live page holds at most this many). */
export const MAX_STEP_ARROWS = 500;
/** Arrows per step in the static index.html written after every run (the last ones of the step). */
export const STATIC_STEP_ARROWS = 100;

/** Merges new arrows (a `sequence` event carries the step's columns and its arrows since the last one). */
export function mergeSequence(into: StepSequenceJson | undefined, more: StepSequenceJson): StepSequenceJson {
  if (into === undefined) return { ...more, arrows: more.arrows.slice(-MAX_STEP_ARROWS) };
  const last = into.arrows.at(-1)?.index ?? -1;
  const arrows = [...into.arrows, ...more.arrows.filter((a) => a.index > last)].slice(-MAX_STEP_ARROWS);
  return { ...into, hosts: more.hosts, total: Math.max(into.total, more.total), arrows };
}

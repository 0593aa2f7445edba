// ASCII sequence diagrams: one lifeline per participant, one arrow per message, an optional time
// column on the left.
//
//             client 127.0.0.1:49152        server 127.0.0.1:7
//                        |                           |
//    0.000 ms            |-------- SYN seq=0 ------->|
//    0.041 ms            |<- SYN, ACK seq=0 ack=1 ---|
//    0.052 ms            |-------- ACK ack=1 ------->|
//
// A message from a participant to itself is a note beside its lifeline; `lost` draws an x head.

import { wrapWords } from './layout.ts';

export interface SequenceMessage {
  /** Participant name or index. */
  readonly from: string | number;
  readonly to: string | number;
  readonly label: string;
  /** Left column, e.g. `0.041 ms`. */
  readonly time?: string;
  /** Drawn with an x head: the message never arrived. */
  readonly lost?: boolean;
}

export interface SequenceSpec {
  readonly title?: string;
  readonly participants: readonly string[];
  readonly messages: readonly SequenceMessage[];
}

const MIN_GAP = 12;

function indexOf(spec: SequenceSpec, p: string | number): number {
  const i = typeof p === 'number' ? p : spec.participants.indexOf(p);
  if (!Number.isInteger(i) || i < 0 || i >= spec.participants.length) {
    throw new RangeError(`sequence diagram: no participant ${JSON.stringify(p)} (have ${spec.participants.map((x) => JSON.stringify(x)).join(', ')})`);
  }
  return i;
}

/**
 * The diagram as a list, one message a line (`time  from -> to  label`), for a terminal too narrow
 * for the lifelines.
 */
function renderList(spec: SequenceSpec, msgs: readonly { a: number; b: number; label: string; time?: string; lost?: boolean }[], maxWidth: number): string[] {
  const names = spec.participants;
  const timeWidth = Math.max(0, ...msgs.map((m) => (m.time ?? '').length));
  const pad = timeWidth > 0 ? timeWidth + 2 : 0;
  const lines: string[] = [];
  if (spec.title !== undefined) lines.push(...wrapWords(spec.title, maxWidth));
  for (const m of msgs) {
    const time = timeWidth > 0 ? `${(m.time ?? '').padStart(timeWidth)}  ` : '';
    const who = m.a === m.b ? `${names[m.a]}:` : `${names[m.a]} ${m.lost === true ? '--x' : '->'} ${names[m.b]}:`;
    lines.push(...wrapWords(`${who} ${m.label}`, maxWidth, time, ' '.repeat(pad + 4)));
  }
  return lines;
}

/** Renders the diagram as lines; wider than maxWidth, it becomes a list of messages. */
export function renderSequence(spec: SequenceSpec, maxWidth = Number.POSITIVE_INFINITY): string[] {
  const n = spec.participants.length;
  if (n === 0) throw new RangeError('sequence diagram: no participants');
  const msgs = spec.messages.map((m) => ({ ...m, a: indexOf(spec, m.from), b: indexOf(spec, m.to) }));
  const names = spec.participants;
  // Gaps between neighbouring lifelines: wide enough for the names and the labels between them.
  const gaps: number[] = [];
  for (let k = 0; k + 1 < n; k++) {
    const namesNeed = Math.ceil(names[k].length / 2) + Math.ceil(names[k + 1].length / 2) + 3;
    gaps.push(Math.max(MIN_GAP, namesNeed));
  }
  for (const m of msgs) {
    const lo = Math.min(m.a, m.b);
    const hi = Math.max(m.a, m.b);
    if (lo === hi) continue;
    const need = m.label.length + 8; // the label, a space and two dashes on each side
    let have = 0;
    for (let k = lo; k < hi; k++) have += gaps[k];
    if (need > have) gaps[hi - 1] += need - have;
  }
  const timeWidth = Math.max(0, ...msgs.map((m) => (m.time ?? '').length));
  const left = (timeWidth > 0 ? timeWidth + 2 : 0) + Math.max(1, Math.ceil(names[0].length / 2));
  const xs: number[] = [left];
  for (let k = 0; k + 1 < n; k++) xs.push(xs[k] + gaps[k]);
  const width = xs[n - 1] + Math.ceil(names[n - 1].length / 2) + 1;
  if (width > maxWidth) return renderList(spec, msgs, maxWidth);

  const blank = (): string[] => {
    const row = Array<string>(width).fill(' ');
    for (const x of xs) row[x] = '|';
    return row;
  };
  const put = (row: string[], at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) if (at + i >= 0 && at + i < row.length) row[at + i] = text[i];
  };
  const lines: string[] = [];
  if (spec.title !== undefined) lines.push(spec.title);
  const head = Array<string>(width).fill(' ');
  names.forEach((name, k) => put(head, xs[k] - Math.floor(name.length / 2), name));
  lines.push(head.join('').trimEnd());
  lines.push(blank().join('').trimEnd());
  for (const m of msgs) {
    const row = blank();
    if (m.time !== undefined) put(row, 0, m.time.padStart(timeWidth));
    if (m.a === m.b) {
      put(row, xs[m.a] + 2, m.label);
    } else {
      const lo = Math.min(m.a, m.b);
      const hi = Math.max(m.a, m.b);
      for (let x = xs[lo] + 1; x < xs[hi]; x++) row[x] = '-';
      const rightward = m.b > m.a;
      if (rightward) row[xs[hi] - 1] = m.lost ? 'x' : '>';
      else row[xs[lo] + 1] = m.lost ? 'x' : '<';
      const inner = xs[hi] - xs[lo] - 1;
      const text = ` ${m.label} `;
      put(row, xs[lo] + 1 + Math.max(2, Math.floor((inner - text.length) / 2)), text);
    }
    lines.push(row.join('').trimEnd());
  }
  return lines;
}

/// <reference lib="dom" />
// The capture view in the browser: the packet list (virtual scrolling over pages fetched from the
// server), the layer tree of the selected frame and its hex, linked both ways by byte span, and the
// display-filter box. Plain DOM, no framework.

import type { FilterErrorJson, FrameJson, ListRow, RequestErrorJson, TreeNode } from '../types.ts';
import { fetchFrame, fetchInfo, fetchList } from './api.ts';
import { bytesOf, hexRows, printable } from './hex-rows.ts';
import { makeFollowPanel } from './follow.ts';
import { makeSequencePane } from './sequence.ts';

const PAGE = 500;
const ROW_HEIGHT = 20;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

// ---- layout -------------------------------------------------------------------------------------

const filterInput = el('input', {
  id: 'filter',
  type: 'text',
  spellcheck: 'false',
  autocomplete: 'off',
  placeholder: 'Display filter, e.g. tcp.flags.syn == 1 (Enter applies)',
  'aria-label': 'Display filter',
});
const applyButton = el('button', { id: 'apply', type: 'button' }, 'Apply');
const clearButton = el('button', { id: 'clear', type: 'button' }, 'Clear');
const status = el('span', { id: 'status', role: 'status' });
const filterError = el('div', { id: 'filter-error', role: 'alert', hidden: '' });
const followButton = el(
  'button',
  { id: 'follow-button', type: 'button', title: 'Follow the TCP stream of the selected frame (F)', 'aria-keyshortcuts': 'F' },
  'Follow stream',
);
const header = el('header', {}, el('h1', {}, 'netlab view'), el('div', { class: 'filterbar' }, filterInput, applyButton, clearButton), followButton, status);

const listHead = el(
  'div',
  { class: 'row head', role: 'row' },
  ...['No.', 'Time', 'Source', 'Destination', 'Protocol', 'Length', 'Info'].map((t) => el('span', { role: 'columnheader' }, t)),
);
const listSpacer = el('div', { class: 'spacer' });
const listBody = el('div', { id: 'list', tabindex: '0', role: 'grid', 'aria-label': 'Packet list' }, listSpacer);
const treePane = el('div', { id: 'tree', role: 'tree', 'aria-label': 'Layer tree' });
const hexPane = el('div', { id: 'hex', 'aria-label': 'Bytes' });
const problemsBox = el('div', { id: 'problems' });

// The list pane shows the packet list or the sequence diagram (same rows, same selection).
const sequencePane = makeSequencePane((index) => void select(index));
const listTab = el('button', { id: 'tab-list', type: 'button', role: 'tab', 'aria-selected': 'true' }, 'Packet list');
const sequenceTab = el('button', { id: 'tab-sequence', type: 'button', role: 'tab', 'aria-selected': 'false' }, 'Sequence diagram');
const viewTabs = el('div', { class: 'view-tabs', role: 'tablist' }, listTab, sequenceTab);
function showSequence(on: boolean): void {
  listTab.setAttribute('aria-selected', String(!on));
  sequenceTab.setAttribute('aria-selected', String(on));
  listHead.hidden = on;
  listBody.hidden = on;
  sequencePane.element.hidden = !on;
  if (on) {
    sequencePane.render();
    sequencePane.body.focus();
  } else {
    renderList();
    listBody.focus();
  }
}
listTab.addEventListener('click', () => showSequence(false));
sequenceTab.addEventListener('click', () => showSequence(true));
const followPanel = makeFollowPanel(
  (no) => void selectFrame(no),
  () => (sequencePane.element.hidden ? listBody : sequencePane.body).focus(),
);

document.body.append(
  followPanel.element,
  header,
  filterError,
  el(
    'main',
    {},
    el('section', { class: 'pane list-pane' }, viewTabs, listHead, listBody, sequencePane.element),
    el('section', { class: 'pane tree-pane' }, problemsBox, treePane),
    el('section', { class: 'pane hex-pane' }, hexPane),
  ),
);

// ---- the packet list ----------------------------------------------------------------------------

interface ListState {
  filter: string;
  total: number;
  /** Loaded rows, by index among the filtered rows. */
  rows: Map<number, ListRow>;
  /** Pages being fetched. */
  loading: Map<number, Promise<void>>;
  /** Index (among the filtered rows) of the selected row, or -1. */
  selected: number;
  /** Bumped for each new list, so late answers for an old filter are dropped. */
  generation: number;
}

const list: ListState = { filter: '', total: 0, rows: new Map(), loading: new Map(), selected: -1, generation: 0 };

function rowElement(index: number, row: ListRow | undefined): HTMLElement {
  const cells =
    row === undefined ? ['', '', '', '', '', '', 'loading...'] : [String(row.no), row.time, row.src, row.dst, row.protocol, String(row.length), row.info];
  const e = el('div', { class: 'row', role: 'row', 'data-index': String(index) }, ...cells.map((c) => el('span', { role: 'gridcell' }, c)));
  if (row !== undefined) {
    e.dataset.no = String(row.no);
    e.title = row.line;
    e.classList.add(`proto-${row.protocol.toLowerCase().replace(/[^a-z0-9]/g, '')}`);
    if (row.bad) e.classList.add('bad');
  }
  if (index === list.selected) {
    e.classList.add('selected');
    e.setAttribute('aria-selected', 'true');
  }
  e.style.top = `${index * ROW_HEIGHT}px`;
  return e;
}

/** Fetches one page of rows; a page already on its way is waited for, not fetched again. */
function loadPage(page: number): Promise<void> {
  const pending = list.loading.get(page);
  if (pending !== undefined) return pending;
  const generation = list.generation;
  const done = (async () => {
    const result = await fetchList(page * PAGE, PAGE, list.filter);
    if (generation !== list.generation) return;
    list.loading.delete(page);
    if (!result.ok) return showFilterError(result.error);
    result.page.rows.forEach((r, i) => list.rows.set(page * PAGE + i, r));
    renderList();
  })();
  list.loading.set(page, done);
  return done;
}

function renderList(): void {
  const first = Math.max(0, Math.floor(listBody.scrollTop / ROW_HEIGHT) - 5);
  const last = Math.min(list.total - 1, Math.ceil((listBody.scrollTop + listBody.clientHeight) / ROW_HEIGHT) + 5);
  listSpacer.style.height = `${list.total * ROW_HEIGHT}px`;
  const rows: HTMLElement[] = [];
  for (let i = first; i <= last; i++) {
    const row = list.rows.get(i);
    if (row === undefined) void loadPage(Math.floor(i / PAGE));
    rows.push(rowElement(i, row));
  }
  listSpacer.replaceChildren(...rows);
}

listBody.addEventListener('scroll', () => renderList());
window.addEventListener('resize', () => renderList());

listBody.addEventListener('click', (ev) => {
  const row = (ev.target as HTMLElement).closest<HTMLElement>('.row');
  if (row?.dataset.index !== undefined) void select(Number(row.dataset.index));
});

/** Selects frame `no` in the list (the filter is cleared when it hides that frame). */
async function selectFrame(no: number): Promise<void> {
  for (const [i, r] of list.rows) if (r.no === no) return select(i);
  if (list.filter !== '') {
    filterInput.value = '';
    await applyFilter('');
  }
  await select(no - 1);
}

/** Opens the Follow panel on the selected frame's stream. */
function followSelected(): void {
  const row = list.rows.get(list.selected);
  if (row !== undefined) void followPanel.open(row.no);
}
followButton.addEventListener('click', followSelected);
for (const pane of [listBody, sequencePane.body]) {
  pane.addEventListener('keydown', (ev) => {
    if ((ev.key === 'f' || ev.key === 'F') && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      followSelected();
    }
  });
}

listBody.addEventListener('keydown', (ev) => {
  const visible = Math.max(1, Math.floor(listBody.clientHeight / ROW_HEIGHT) - 1);
  const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: visible, PageUp: -visible, Home: -Infinity, End: Infinity };
  const move = moves[ev.key];
  if (move === undefined || list.total === 0) return;
  ev.preventDefault();
  const from = list.selected < 0 ? (move > 0 ? -1 : list.total) : list.selected;
  void select(Math.max(0, Math.min(list.total - 1, from + move)));
});

let frameRequest = 0;

async function select(index: number): Promise<void> {
  list.selected = index;
  sequencePane.select(index);
  const top = index * ROW_HEIGHT;
  if (top < listBody.scrollTop) listBody.scrollTop = top;
  else if (top + ROW_HEIGHT > listBody.scrollTop + listBody.clientHeight) listBody.scrollTop = top + ROW_HEIGHT - listBody.clientHeight;
  renderList();
  let row = list.rows.get(index);
  if (row === undefined) {
    await loadPage(Math.floor(index / PAGE));
    row = list.rows.get(index);
  }
  if (row === undefined || list.selected !== index) return;
  const request = ++frameRequest;
  const frame = await fetchFrame(row.no);
  if (request !== frameRequest) return;
  if ('error' in frame) {
    showFrameError(frame);
    return;
  }
  showFrame(frame);
}

async function applyFilter(text: string): Promise<void> {
  list.generation++;
  const generation = list.generation;
  status.textContent = text === '' ? 'Loading...' : `Filtering with ${text}...`;
  const result = await fetchList(0, PAGE, text);
  if (generation !== list.generation) return;
  if (!result.ok) {
    showFilterError(result.error);
    status.textContent = 'The filter was not applied.';
    return;
  }
  hideFilterError();
  list.filter = result.page.filter;
  list.total = result.page.total;
  list.rows = new Map(result.page.rows.map((r, i) => [i, r]));
  list.loading = new Map();
  list.selected = -1;
  listBody.scrollTop = 0;
  sequencePane.reset(list.filter);
  filterProblems = result.page.problems;
  updateStatus();
  renderList();
  clearFrame();
  if (list.total > 0) await select(0);
}

let filterProblems: string[] = [];

function updateStatus(): void {
  let text = `${info.file}: ${info.frames} frames`;
  if (info.loading) text += ' (reading...)';
  if (list.filter !== '') text += `, ${list.total} shown by the filter` + (info.loading ? ' so far' : '');
  if (info.error) text += ` (${info.error})`;
  if (filterProblems.length > 0) text += ` (${filterProblems.join('; ')})`;
  status.textContent = text;
}

/** While a big capture is still being read, the list grows; a filter is applied again at the end. */
async function followLoading(): Promise<void> {
  while (info.loading) {
    await new Promise((r) => setTimeout(r, 700));
    info = await fetchInfo();
    if (list.filter === '') {
      list.total = info.frames;
      renderList();
    }
    updateStatus();
  }
  if (list.filter !== '') await applyFilter(list.filter);
}

function showFilterError(err: FilterErrorJson | RequestErrorJson): void {
  filterError.hidden = false;
  filterInput.classList.add('invalid');
  filterInput.setAttribute('aria-invalid', 'true');
  if (err.error !== 'filter') {
    filterError.replaceChildren(el('div', { class: 'message' }, err.message));
    return;
  }
  const text = filterInput.value;
  const parts: (Node | string)[] = [el('div', { class: 'message' }, err.message)];
  if (err.column !== undefined) {
    const len = err.length ?? 1;
    parts.push(
      el(
        'pre',
        { class: 'caret-line' },
        text.slice(0, err.column),
        el('mark', {}, text.slice(err.column, err.column + len) || ' '),
        text.slice(err.column + len),
      ),
      el('pre', { class: 'caret' }, ' '.repeat(err.column) + '^' + '~'.repeat(Math.max(0, len - 1))),
    );
    filterError.dataset.column = String(err.column);
    filterInput.setSelectionRange(err.column, err.column + len);
  }
  const hint = err.text.split('\n').slice(err.column === undefined ? 1 : 3);
  if (hint.length > 0 && hint.join('') !== '') parts.push(el('div', { class: 'hint' }, hint.join('\n')));
  filterError.replaceChildren(...parts);
}

function hideFilterError(): void {
  filterError.hidden = true;
  filterError.replaceChildren();
  delete filterError.dataset.column;
  filterInput.classList.remove('invalid');
  filterInput.removeAttribute('aria-invalid');
}

filterInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') void applyFilter(filterInput.value.trim());
  if (ev.key === 'ArrowDown') {
    ev.preventDefault();
    listBody.focus();
  }
});
applyButton.addEventListener('click', () => void applyFilter(filterInput.value.trim()));
clearButton.addEventListener('click', () => {
  filterInput.value = '';
  void applyFilter('');
});

// ---- the tree and the hex -----------------------------------------------------------------------

interface Shown {
  frame: FrameJson;
  bytes: Uint8Array;
  /** Every tree line with bytes, for finding the field of a byte. */
  spans: { node: HTMLElement; offset: number; length: number }[];
  byteCells: HTMLElement[];
  asciiCells: HTMLElement[];
  /** The tree line clicked (kept highlighted until another is clicked). */
  pinned?: HTMLElement;
}

let shown: Shown | undefined;

function clearFrame(): void {
  shown = undefined;
  treePane.replaceChildren();
  hexPane.replaceChildren();
  problemsBox.replaceChildren();
}

function showFrameError(err: RequestErrorJson): void {
  clearFrame();
  problemsBox.replaceChildren(el('div', { class: 'problem' }, err.message));
}

function treeNode(n: TreeNode, spans: Shown['spans']): HTMLElement {
  const label = el('div', { class: 'label', role: 'treeitem' }, n.text);
  const item = el(
    'li',
    { class: n.proto ? 'node proto' : 'node', 'data-name': n.name, 'data-offset': String(n.offset), 'data-length': String(n.length) },
    label,
  );
  if (n.generated) item.classList.add('generated');
  if (n.length > 0) spans.push({ node: item, offset: n.offset, length: n.length });
  if (n.children.length > 0) {
    item.classList.add('open');
    label.setAttribute('aria-expanded', 'true');
    label.prepend(el('span', { class: 'toggle', 'aria-hidden': 'true' }));
    item.append(el('ul', {}, ...n.children.map((c) => treeNode(c, spans))));
  }
  return item;
}

function showFrame(frame: FrameJson): void {
  const spans: Shown['spans'] = [];
  treePane.replaceChildren(el('ul', {}, ...frame.tree.map((n) => treeNode(n, spans))));
  problemsBox.replaceChildren(...frame.problems.map((p) => el('div', { class: 'problem' }, p)));
  const bytes = bytesOf(frame.bytes);
  const byteCells: HTMLElement[] = [];
  const asciiCells: HTMLElement[] = [];
  const lines = hexRows(bytes).map((r) => {
    const hexPart = el('span', { class: 'hexbytes' });
    const asciiPart = el('span', { class: 'ascii' });
    r.bytes.forEach((b, k) => {
      const i = r.start + k;
      if (k > 0) hexPart.append(' ');
      const cell = el('span', { class: 'byte', 'data-i': String(i) }, b.toString(16).padStart(2, '0'));
      const ch = el('span', { class: 'char', 'data-i': String(i) }, printable(b));
      byteCells[i] = cell;
      asciiCells[i] = ch;
      hexPart.append(cell);
      asciiPart.append(ch);
    });
    hexPart.append(' '.repeat((16 - r.bytes.length) * 3));
    return el('div', { class: 'hexrow' }, el('span', { class: 'offset' }, r.offset), '  ', hexPart, '   ', asciiPart);
  });
  hexPane.replaceChildren(...lines);
  shown = { frame, bytes, spans, byteCells, asciiCells };
}

function highlightBytes(offset: number, length: number): void {
  if (shown === undefined) return;
  for (const c of hexPane.querySelectorAll('.hl')) c.classList.remove('hl');
  const end = Math.min(shown.bytes.length, offset + length);
  for (let i = offset; i < end; i++) {
    shown.byteCells[i]?.classList.add('hl');
    shown.asciiCells[i]?.classList.add('hl');
  }
  shown.byteCells[offset]?.scrollIntoView({ block: 'nearest' });
}

function highlightNode(node: HTMLElement | undefined): void {
  for (const c of treePane.querySelectorAll('.node.hl')) c.classList.remove('hl');
  if (node === undefined) return;
  node.classList.add('hl');
  node.querySelector(':scope > .label')?.scrollIntoView({ block: 'nearest' });
}

/** The narrowest tree line whose bytes hold byte i (the field under the pointer, as Wireshark picks). */
function fieldOfByte(i: number): Shown['spans'][number] | undefined {
  let best: Shown['spans'][number] | undefined;
  for (const s of shown?.spans ?? []) {
    if (i >= s.offset && i < s.offset + s.length && (best === undefined || s.length <= best.length)) best = s;
  }
  return best;
}

function restorePinned(): void {
  const pinned = shown?.pinned;
  highlightNode(pinned);
  if (pinned === undefined) highlightBytes(0, 0);
  else highlightBytes(Number(pinned.dataset.offset), Number(pinned.dataset.length));
}

treePane.addEventListener('mouseover', (ev) => {
  const node = (ev.target as HTMLElement).closest<HTMLElement>('.node');
  if (node === null) return;
  highlightNode(node);
  highlightBytes(Number(node.dataset.offset), Number(node.dataset.length));
});
treePane.addEventListener('mouseleave', restorePinned);
treePane.addEventListener('click', (ev) => {
  const target = ev.target as HTMLElement;
  const node = target.closest<HTMLElement>('.node');
  if (node === null || shown === undefined) return;
  if (target.classList.contains('toggle')) {
    node.classList.toggle('open');
    node.querySelector(':scope > .label')?.setAttribute('aria-expanded', String(node.classList.contains('open')));
    return;
  }
  shown.pinned = node;
  restorePinned();
});

hexPane.addEventListener('mouseover', (ev) => {
  const cell = (ev.target as HTMLElement).closest<HTMLElement>('[data-i]');
  if (cell === null) return;
  const span = fieldOfByte(Number(cell.dataset.i));
  highlightNode(span?.node);
  if (span === undefined) highlightBytes(0, 0);
  else highlightBytes(span.offset, span.length);
});
hexPane.addEventListener('mouseleave', restorePinned);

// ---- start --------------------------------------------------------------------------------------

let info = await fetchInfo();
document.title = `${info.file} - netlab view`;
const initial = new URLSearchParams(location.search).get('filter') ?? '';
filterInput.value = initial;
await applyFilter(initial);
listBody.focus();
void followLoading();

/// <reference lib="dom" />
// The lab page: a lab's steps as they run (explanation, what each shows, its checkpoints, its
// captures), its figures as SVG, its exercises answered here, and the live topology of the virtual
// networks it builds. Live (`netlab lab run NAME --web`): the run comes from the server's event
// stream and answers are posted back. Static (OUT/LAB/index.html): the run is embedded in the page.
// Keyboard: j/k (or n/p) move between steps, Enter in the answer box answers.

import {
  applyLabEvent,
  emptyRun,
  type CaptureJson,
  type ItemJson,
  type LabEvent,
  type LabRunJson,
  type ShowJson,
  type StepSequenceJson,
} from '../lab-types.ts';
import { figureSvg, startCountdowns } from './lab-figures.ts';
import { StepSequenceView } from './lab-sequence.ts';
import { TopologyView } from './lab-topology.ts';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const embedded = document.getElementById('lab-data');
const live = embedded === null;
let run: LabRunJson = embedded === null ? emptyRun() : (JSON.parse(embedded.textContent ?? '{}') as LabRunJson);

const title = el('h1', {}, 'netlab lab');
const status = el('span', { id: 'status', role: 'status' });
const waitBar = el('div', { id: 'waiting', hidden: '' });
const toc = el('nav', { id: 'toc', 'aria-label': 'Steps' }, el('ol'));
const items = el('div', { id: 'items' });
const topology = new TopologyView();
document.body.append(
  el('header', {}, title, status),
  waitBar,
  el('div', { class: 'layout' }, toc, el('main', { id: 'steps', 'aria-label': 'Steps of the lab' }, items), topology.root),
);

// ---- one item (a step or an exercise) -----------------------------------------------------------

const itemEls = new Map<string, HTMLElement>();
/** The sequence diagram of each step that carried frames, kept across re-renders. */
const sequences = new Map<string, StepSequenceView>();
/** The answer form of each exercise, kept across re-renders (so what is typed stays). */
const forms = new Map<string, HTMLFormElement>();

function paragraphs(text: string): HTMLElement {
  const box = el('div', { class: 'explain' });
  for (const p of text.split(/\n\s*\n/)) if (p.trim() !== '') box.append(el('p', {}, p.replace(/\n/g, ' ')));
  return box;
}

function showEl(s: ShowJson): HTMLElement {
  switch (s.kind) {
    case 'text':
      return el('pre', { class: 'show-text' }, s.text);
    case 'pre':
      return el('pre', { class: 'show-pre' }, s.lines.join('\n'));
    case 'skipped':
      return el('p', { class: 'skip' }, `skipped: ${s.reason}`);
    case 'figure': {
      const fig = el('figure', { class: `fig fig-${s.figure.kind}`, 'data-kind': s.figure.kind });
      fig.append(figureSvg(s.figure));
      return fig;
    }
    case 'table': {
      const t = el('table', { class: 'tbl' });
      if (s.title !== undefined) t.append(el('caption', {}, s.title));
      t.append(el('thead', {}, el('tr', {}, ...s.head.map((h) => el('th', {}, h)))));
      t.append(
        el(
          'tbody',
          {},
          ...s.rows.map((r) => el('tr', {}, ...r.map((c) => el('td', typeof c === 'number' ? { class: 'num' } : {}, c === null ? '' : String(c))))),
        ),
      );
      return el('div', { class: 'tbl-wrap' }, t);
    }
  }
}

function captureEl(c: CaptureJson): HTMLElement {
  const href = live ? `/capture/${c.id}` : encodeURI(c.file);
  const li = el('li', { class: 'capture' }, el('a', { href, target: '_blank', rel: 'noopener' }, c.path), ` (${c.frames} frame${c.frames === 1 ? '' : 's'})`);
  const ul = el('ul', { class: 'filters' });
  for (const f of c.filters) ul.append(el('li', {}, el('code', {}, f.filter), f.about === undefined ? '' : ` ${f.about}`));
  li.append(ul);
  return li;
}

async function post(text: string): Promise<string | undefined> {
  const res = await fetch('/api/lab/answer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  if (res.ok) return undefined;
  return ((await res.json()) as { message?: string }).message ?? `HTTP ${res.status}`;
}

function answerForm(key: string, item: ItemJson): HTMLFormElement {
  let form = forms.get(key);
  if (form !== undefined) return form;
  const input = el('input', {
    type: 'text',
    name: 'answer',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': `Your answer: ${item.expects ?? ''}`,
    placeholder: item.expects ?? '',
  });
  const error = el('span', { class: 'form-error', role: 'alert' });
  const send = async (text: string): Promise<void> => {
    error.textContent = '';
    const problem = await post(text);
    if (problem !== undefined) error.textContent = problem;
    else if (text === input.value) input.value = '';
  };
  const button = (label: string, text: string, cls: string): HTMLButtonElement => {
    const b = el('button', { type: 'button', class: cls }, label);
    b.addEventListener('click', () => void send(text));
    return b;
  };
  form = el(
    'form',
    { class: 'answer' },
    input,
    el('button', { type: 'submit', class: 'submit' }, 'Answer'),
    button('Hint', 'h', 'hint'),
    button('Show the answer', 'a', 'reveal'),
    button('Skip', 's', 'skip'),
    error,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (input.value.trim() !== '') void send(input.value);
  });
  forms.set(key, form);
  return form;
}

function itemEl(labIndex: number, item: ItemJson): HTMLElement {
  const key = `${labIndex}:${item.position}`;
  const passed = item.checks.filter((c) => c.passed).length;
  const failed = item.checks.length - passed;
  const art = el('article', { class: `item ${item.kind} ${item.state}`, id: `item-${key.replace(':', '-')}`, tabindex: '-1', 'data-state': item.state });
  const kind = item.kind === 'step' ? 'Step' : 'Your turn';
  art.append(el('h2', {}, el('span', { class: 'num' }, `${kind} ${item.position + 1}/${item.total}`), ' ', item.title));
  if (item.text !== '') art.append(paragraphs(item.text));
  for (const s of item.shows) art.append(showEl(s));
  if (item.exchange !== undefined) {
    const ex = el('ul', { class: 'exchange' });
    for (const x of item.exchange) {
      const mark = x.kind === 'answer' ? (x.correct === true ? '✓ ' : '✗ ') : '';
      const label = { answer: '', hint: 'hint: ', shown: 'answer: ', skipped: 'skipped; one answer: ', reveal: '' }[x.kind];
      ex.append(
        el(
          'li',
          { class: `x-${x.kind}${x.correct === true ? ' right' : x.correct === false ? ' wrong' : ''}` },
          `${mark}${label}${x.text}${x.from === 'page' ? ' (from the page)' : x.from === 'terminal' ? ' (at the terminal)' : ''}`,
        ),
      );
    }
    art.append(ex);
    const waiting = live && item.state === 'running' && run.waiting?.kind === 'exercise' && run.waiting.title === item.title;
    if (waiting) art.append(answerForm(key, item));
  }
  if (item.checks.length > 0) {
    const list = el('ul', { class: 'checks' });
    for (const c of item.checks) {
      const expected = c.expected === c.observed || (c.passed && c.expected === 'true') ? '' : ` (expected ${c.expected})`;
      list.append(
        el(
          'li',
          { class: c.passed ? 'pass' : 'fail' },
          el('span', { class: 'mark', 'aria-label': c.passed ? 'passed' : 'failed' }, c.passed ? '✓' : '✗'),
          ` ${c.label}: ${c.observed}${expected}`,
        ),
      );
    }
    art.append(
      el(
        'details',
        failed > 0 ? { class: 'checkbox', open: '' } : { class: 'checkbox' },
        el('summary', {}, failed === 0 ? `✓ ${passed} claim${passed === 1 ? '' : 's'} checked` : `✗ ${failed} of ${item.checks.length} claims failed`),
        list,
      ),
    );
  }
  const seq = sequences.get(key);
  if (seq !== undefined) {
    seq.captures(item.captures, live);
    art.append(seq.element);
  }
  if (item.captures.length > 0) art.append(el('ul', { class: 'captures' }, ...item.captures.map(captureEl)));
  return art;
}

// ---- the whole run ---------------------------------------------------------------------------------

function render(): void {
  const lab = run.labs.at(-1);
  title.textContent = lab === undefined ? 'netlab lab' : `Lab ${lab.name}: ${lab.title}`;
  document.title = `${lab?.name ?? 'lab'} - netlab lab`;
  const tally = run.labs.filter((l) => l.done).map((l) => `${l.name}: ${l.passed} passed, ${l.failed} failed`);
  status.textContent = run.done ? tally.join('; ') : lab === undefined ? 'waiting for the lab to start' : `running ${lab.name}`;
  status.className = run.done && run.labs.some((l) => (l.failed ?? 0) > 0) ? 'bad' : run.done ? 'good' : '';
  const tocList = toc.firstElementChild as HTMLOListElement;
  const seen = new Set<string>();
  run.labs.forEach((l, li) => {
    l.items.forEach((item) => {
      const key = `${li}:${item.position}`;
      seen.add(key);
      const old = itemEls.get(key);
      // Before itemEl: it moves the kept answer form (and its focus) into the new article.
      const active = document.activeElement;
      const hadFocus = old?.contains(active) === true;
      const fresh = itemEl(li, item);
      if (old === undefined) {
        items.append(fresh);
        const a = el('a', { href: `#${fresh.id}`, class: item.state }, item.title);
        tocList.append(el('li', { 'data-key': key }, a));
      } else {
        old.replaceWith(fresh);
        // The focus back where it was (the answer box, a sequence diagram kept across draws), else the step.
        if (hadFocus) (active instanceof HTMLElement && fresh.contains(active) ? active : (fresh.querySelector('input') ?? fresh)).focus();
        const a = tocList.querySelector(`li[data-key="${key}"] a`);
        if (a !== null) a.className = item.state;
      }
      itemEls.set(key, fresh);
    });
    if (l.done && l.captures.length > 0 && !itemEls.has(`${li}:end`)) {
      const end = el(
        'article',
        { class: 'item lab-end', id: `item-${li}-end` },
        el('h2', {}, 'Captures written at the end of the lab'),
        el('ul', { class: 'captures' }, ...l.captures.map(captureEl)),
      );
      items.append(end);
      itemEls.set(`${li}:end`, end);
    }
  });
  for (const v of sequences.values()) v.restore();
  const w = run.waiting;
  waitBar.hidden = w === undefined;
  waitBar.replaceChildren();
  if (w !== undefined) {
    if (w.kind === 'exercise') waitBar.append(`Your turn: "${w.title}" waits for your answer (below, or at the terminal).`);
    else {
      const next = el('button', { type: 'button', id: 'next' }, 'Go on');
      next.addEventListener('click', () => void post(''));
      waitBar.append(`Paused before "${w.title}". `, next);
    }
  }
}

/** The exercise the run waited for at the last render: its answer box gets the focus once, when it opens. */
let focusedFor = '';

function focusAnswer(): void {
  const w = run.waiting;
  const key = w?.kind === 'exercise' ? `${run.labs.length}:${w.title}` : '';
  if (key === focusedFor) return;
  focusedFor = key;
  if (key === '') return;
  const input = items.querySelector<HTMLInputElement>('article.item.running form.answer input');
  if (input !== null && !(document.activeElement instanceof HTMLInputElement)) input.focus();
}

function apply(e: LabEvent): void {
  applyLabEvent(run, e);
  render();
  focusAnswer();
}

/** A step's new arrows: its diagram (made, and the step drawn again, on its first frames). */
function sequence(s: StepSequenceJson): void {
  const key = `${s.lab}:${s.position}`;
  let view = sequences.get(key);
  const fresh = view === undefined;
  if (view === undefined) {
    view = new StepSequenceView(key);
    sequences.set(key, view);
  }
  if (fresh) {
    // Into the step's article as itemEl places it (before its captures), without drawing the step again.
    const art = itemEls.get(key);
    const item = run.labs[s.lab]?.items.find((i) => i.position === s.position);
    if (art !== undefined && item !== undefined) {
      view.captures(item.captures, live);
      art.insertBefore(view.element, art.querySelector(':scope > ul.captures'));
    }
  }
  view.update(s);
}

// ---- keyboard: j/k (n/p) between steps --------------------------------------------------------------

document.addEventListener('keydown', (ev) => {
  const t = ev.target as HTMLElement;
  if (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.closest('.seq-body') !== null || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const dir = ev.key === 'j' || ev.key === 'n' ? 1 : ev.key === 'k' || ev.key === 'p' ? -1 : 0;
  if (dir === 0) return;
  const list = [...items.querySelectorAll<HTMLElement>('article.item')];
  if (list.length === 0) return;
  const current = list.findIndex((a) => a.contains(document.activeElement));
  const next = list[Math.max(0, Math.min(list.length - 1, current < 0 ? (dir > 0 ? 0 : list.length - 1) : current + dir))];
  next.focus();
  next.scrollIntoView({ block: 'start', behavior: 'auto' });
  ev.preventDefault();
});

// ---- start ------------------------------------------------------------------------------------------

// TTLs in figures count down from the run's own times (a static page opened later shows them expired).
startCountdowns();

if (live) {
  const source = new EventSource('/api/lab/events');
  source.addEventListener('run', (m) => {
    run = JSON.parse((m as MessageEvent<string>).data) as LabRunJson;
    render();
    focusAnswer();
  });
  source.addEventListener('event', (m) => apply(JSON.parse((m as MessageEvent<string>).data) as LabEvent));
  source.addEventListener('topology', (m) => topology.update(JSON.parse((m as MessageEvent<string>).data)));
  source.addEventListener('sequence', (m) => sequence(JSON.parse((m as MessageEvent<string>).data) as StepSequenceJson));
  source.addEventListener('frame', (m) => topology.frame(JSON.parse((m as MessageEvent<string>).data)));
  source.addEventListener('error', () => {
    if (run.done) {
      source.close();
      status.textContent += ' (the lab page server has stopped)';
    }
  });
} else {
  document.body.classList.add('static');
  run.labs.forEach((lab, li) => {
    for (const s of lab.sequences ?? []) sequences.set(`${li}:${s.position}`, new StepSequenceView(`${li}:${s.position}`));
  });
  render();
  run.labs.forEach((lab, li) => {
    for (const s of lab.sequences ?? []) sequences.get(`${li}:${s.position}`)?.update({ ...s, lab: li });
  });
  // The networks as they stood at the end of the run (no frames move: the run is over).
  for (const lab of run.labs) for (const t of lab.topology ?? []) topology.update(t);
}

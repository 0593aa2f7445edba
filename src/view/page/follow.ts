/// <reference lib="dom" />
// The Follow stream panel: the reassembled conversation of the selected frame's TCP stream, the
// client's bytes and the server's coloured apart, as ASCII or a hex dump, and the decrypted TLS
// application data when the capture's key log (or --keylog) decrypts it. A dialog: Escape or Close
// ends it and gives the focus back; a chunk clicked (or Enter on it) selects its frame.

import type { FollowJson } from '../types.ts';
import { fetchFollow } from './api.ts';
import { followTexts } from './follow-text.ts';

export interface FollowPanel {
  /** Opens the panel on the stream of frame `no`. */
  open(no: number): Promise<void>;
  close(): void;
  readonly element: HTMLElement;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** Makes the panel (hidden until opened); `onFrame` selects a frame in the list. */
export function makeFollowPanel(onFrame: (no: number) => void, returnFocus: () => void): FollowPanel {
  const title = el('h2', { id: 'follow-title' });
  const ends = el('div', { class: 'ends' });
  const asciiButton = el('button', { type: 'button', id: 'follow-ascii', 'aria-pressed': 'true' }, 'ASCII');
  const hexButton = el('button', { type: 'button', id: 'follow-hex', 'aria-pressed': 'false' }, 'Hex');
  const tlsButton = el('button', { type: 'button', id: 'follow-tls', 'aria-pressed': 'false', hidden: '' }, 'Decrypted TLS');
  const closeButton = el('button', { type: 'button', id: 'follow-close' }, 'Close');
  const notes = el('div', { class: 'notes' });
  const body = el('pre', { id: 'follow-body', tabindex: '0', 'aria-label': 'Stream bytes' });
  const element = el(
    'div',
    { id: 'follow', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'follow-title', hidden: '' },
    el(
      'div',
      { class: 'follow-box' },
      el('div', { class: 'follow-head' }, title, el('div', { class: 'follow-tools' }, asciiButton, hexButton, tlsButton, closeButton)),
      ends,
      notes,
      body,
    ),
  );
  let mode: 'ascii' | 'hex' = 'ascii';
  let kind: 'tcp' | 'tls' = 'tcp';
  let frameNo = 0;
  let shown: FollowJson | undefined;

  const render = (): void => {
    if (shown === undefined) return;
    const s = shown;
    title.textContent = `Follow ${s.kind === 'tls' ? 'TLS' : 'TCP'} stream ${s.stream}`;
    ends.replaceChildren(
      el('span', { class: 'c0' }, `${s.client} (client): ${s.bytes[0]} bytes`),
      ' \u2192 ',
      el('span', { class: 'c1' }, `${s.server} (server): ${s.bytes[1]} bytes`),
      `, ${s.frames.length} frames`,
    );
    notes.replaceChildren(...s.notes.map((n) => el('div', {}, n)));
    const texts = followTexts(s.chunks, mode);
    body.replaceChildren(
      ...texts.map((t) =>
        el(
          'span',
          { class: `chunk c${t.dir}`, 'data-frame': String(t.frame), 'data-dir': String(t.dir), title: `frame ${t.frame}` },
          mode === 'hex' ? `${t.text}\n` : t.text,
        ),
      ),
    );
    if (texts.length === 0) body.textContent = '(no payload in this stream)';
    asciiButton.setAttribute('aria-pressed', String(mode === 'ascii'));
    hexButton.setAttribute('aria-pressed', String(mode === 'hex'));
    tlsButton.hidden = !(s.tlsAvailable || s.kind === 'tls');
    tlsButton.setAttribute('aria-pressed', String(s.kind === 'tls'));
  };

  const load = async (): Promise<void> => {
    const answer = await fetchFollow(frameNo, kind);
    element.hidden = false;
    if ('error' in answer) {
      shown = undefined;
      title.textContent = 'Follow stream';
      ends.replaceChildren();
      notes.replaceChildren(el('div', { class: 'problem' }, answer.message));
      body.replaceChildren();
      return;
    }
    shown = answer;
    render();
  };

  const close = (): void => {
    if (element.hidden) return;
    element.hidden = true;
    returnFocus();
  };

  asciiButton.addEventListener('click', () => {
    mode = 'ascii';
    render();
  });
  hexButton.addEventListener('click', () => {
    mode = 'hex';
    render();
  });
  tlsButton.addEventListener('click', () => {
    kind = kind === 'tls' ? 'tcp' : 'tls';
    void load();
  });
  closeButton.addEventListener('click', close);
  element.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      close();
    }
  });
  body.addEventListener('click', (ev) => {
    const chunk = (ev.target as HTMLElement).closest<HTMLElement>('.chunk');
    if (chunk?.dataset.frame !== undefined) onFrame(Number(chunk.dataset.frame));
  });

  return {
    element,
    close,
    async open(no: number): Promise<void> {
      frameNo = no;
      kind = 'tcp';
      await load();
      // Decrypted TLS is what a reader of a TLS stream wants first.
      if (shown?.tlsAvailable) {
        kind = 'tls';
        await load();
      }
      body.focus();
    },
  };
}

// Bounded regular-expression matching for the display filter's `matches`. JavaScript's RegExp
// backtracks without limit: "(a+)+$" on forty letters, or "a.*a.*b" on a few kilobytes of payload,
// runs for minutes, and no option bounds it. Wireshark bounds PCRE2 with match limits; netlab bounds
// the time of a match instead:
//
// - A pattern that cannot backtrack badly is run at once: no quantifier at all (the work is at most
//   text length x pattern length), or a single quantifier not applied to a group, no backreference
//   and no lookaround, on a text of at most INLINE_TEXT_LIMIT characters (quadratic at worst).
// - Any other match runs in a helper thread while this one waits at most MATCH_TIME_LIMIT_MS. A
//   match that takes longer is abandoned (the thread is terminated and replaced): the comparison is
//   false, the pattern is not tried again for the rest of the run, and the filter reports it once.
//
// The helper thread is started on first need and does not keep the process alive.

import { Worker } from 'node:worker_threads';

/** The longest a single `matches` may take before it is abandoned. */
export const MATCH_TIME_LIMIT_MS = 200;
/** Texts up to this length are matched at once by single-quantifier patterns. */
export const INLINE_TEXT_LIMIT = 4096;

/** A compiled `matches` pattern and what happened to it. */
export interface GuardedRegex {
  re: RegExp;
  /** Set once a match ran out of time: the pattern matches nothing from then on. */
  abandoned: boolean;
  /** Called once, when the pattern is abandoned. */
  onAbandon?: (message: string) => void;
  /** True when the pattern's shape makes every match cheap enough to run inline (see above). */
  readonly shape: 'plain' | 'single' | 'risky';
}

/** Reads a pattern's shape: 'plain' (no quantifier), 'single' (one, not on a group), or 'risky'. */
export function patternShape(source: string): 'plain' | 'single' | 'risky' {
  let quantifiers = 0;
  let risky = false;
  let prevQuantifiable = false;
  let prevWasGroupEnd = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (/[1-9]/.test(n) || (n === 'k' && source[i + 2] === '<')) risky = true; // a backreference
      i++;
      prevQuantifiable = true;
      prevWasGroupEnd = false;
      continue;
    }
    if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      prevQuantifiable = true;
      prevWasGroupEnd = false;
      continue;
    }
    if (c === '(') {
      if (/^\(\?<?[=!]/.test(source.slice(i, i + 4))) risky = true; // a lookaround
      prevQuantifiable = false;
      prevWasGroupEnd = false;
      continue;
    }
    if (c === ')') {
      prevQuantifiable = true;
      prevWasGroupEnd = true;
      continue;
    }
    const brace = c === '{' ? /^\{\d+(,\d*)?\}/.exec(source.slice(i)) : null;
    if (c === '*' || c === '+' || c === '?' || brace !== null) {
      if (prevQuantifiable) {
        quantifiers++;
        if (prevWasGroupEnd) risky = true;
        if (brace !== null) i += brace[0].length - 1;
        if (source[i + 1] === '?' || source[i + 1] === '+') i++; // lazy or possessive marker
      }
      prevQuantifiable = false;
      prevWasGroupEnd = false;
      continue;
    }
    prevQuantifiable = c !== '|' && c !== '^' && c !== '$';
    prevWasGroupEnd = false;
  }
  if (risky || quantifiers > 1) return 'risky';
  return quantifiers === 1 ? 'single' : 'plain';
}

export function guardRegex(re: RegExp): GuardedRegex {
  return { re, abandoned: false, shape: patternShape(re.source) };
}

// The helper thread: runs one test per message and reports through a shared word
// (0 waiting, 1 match, 2 no match, 3 error).
const HELPER = `
const { parentPort, workerData } = require('node:worker_threads');
const word = new Int32Array(workerData);
parentPort.on('message', (m) => {
  let r = 3;
  try { r = new RegExp(m.source, m.flags).test(m.text) ? 1 : 2; } catch {}
  Atomics.store(word, 0, r);
  Atomics.notify(word, 0);
});`;

let helper: { worker: Worker; word: Int32Array } | undefined;

function startHelper(): { worker: Worker; word: Int32Array } {
  const shared = new SharedArrayBuffer(4);
  const worker = new Worker(HELPER, { eval: true, workerData: shared });
  worker.unref();
  worker.on('error', () => undefined);
  return { worker, word: new Int32Array(shared) };
}

/** Runs the test in the helper thread: the result, or undefined when it ran out of time. */
function testInHelper(re: RegExp, text: string): boolean | undefined {
  helper ??= startHelper();
  const h = helper;
  Atomics.store(h.word, 0, 0);
  h.worker.postMessage({ source: re.source, flags: re.flags, text });
  const outcome = Atomics.wait(h.word, 0, 0, MATCH_TIME_LIMIT_MS);
  if (outcome === 'timed-out') {
    helper = undefined;
    void h.worker.terminate().catch(() => undefined);
    return undefined;
  }
  return Atomics.load(h.word, 0) === 1;
}

/** Warms the helper thread up (so the first match's time limit is not spent starting it). */
function warm(): void {
  if (helper !== undefined) return;
  helper = startHelper();
  Atomics.store(helper.word, 0, 0);
  helper.worker.postMessage({ source: 'x', flags: '', text: '' });
  Atomics.wait(helper.word, 0, 0, 10_000);
}

/** `re.test(text)` with its work bounded (see the header); false once the pattern is abandoned. */
export function guardedTest(g: GuardedRegex, text: string): boolean {
  if (g.abandoned) return false;
  if (g.shape === 'plain' || (g.shape === 'single' && text.length <= INLINE_TEXT_LIMIT)) {
    g.re.lastIndex = 0;
    return g.re.test(text);
  }
  warm();
  const r = testInHelper(g.re, text);
  if (r !== undefined) return r;
  g.abandoned = true;
  g.onAbandon?.(
    `display filter: matching "${g.re.source}" took more than ${MATCH_TIME_LIMIT_MS} ms on one value of ${text.length} characters ` +
      '(the pattern backtracks too much); it is treated as not matching for the rest of the run.',
  );
  return false;
}

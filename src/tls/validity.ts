// Validity windows for certificates, including the broken ones labs need: already expired and not yet
// valid. Times are whole seconds (X.509 times carry no fractions).

import { NetlabError } from '../base/errors.ts';

export interface ValidityWindow {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const DAY = 86_400_000;
/** New certificates start a little in the past, so a peer whose clock lags still accepts them. */
const BACKDATE_MS = 5 * 60_000;

const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

/** Valid from (now - 5 min) for `days` days. */
export function validFor(days: number, now: Date = new Date()): ValidityWindow {
  if (!Number.isFinite(days) || days <= 0) throw new NetlabError('ERR_ARGUMENT', `validity must be a positive number of days, got ${days}`);
  return { notBefore: wholeSeconds(now.getTime() - BACKDATE_MS), notAfter: wholeSeconds(now.getTime() + days * DAY) };
}

/** Expired: valid for 30 days, ended `daysAgo` days ago (default 1). */
export function expiredWindow(now: Date = new Date(), daysAgo = 1): ValidityWindow {
  const end = now.getTime() - daysAgo * DAY;
  return { notBefore: wholeSeconds(end - 30 * DAY), notAfter: wholeSeconds(end) };
}

/** Not yet valid: starts in `daysAhead` days (default 1), lasts 30 days. */
export function notYetValidWindow(now: Date = new Date(), daysAhead = 1): ValidityWindow {
  const start = now.getTime() + daysAhead * DAY;
  return { notBefore: wholeSeconds(start), notAfter: wholeSeconds(start + 30 * DAY) };
}

/** 'valid', 'expired' or 'not yet valid' at `now`. */
export function validityState(w: ValidityWindow, now: Date = new Date()): 'valid' | 'expired' | 'not yet valid' {
  if (now.getTime() < w.notBefore.getTime()) return 'not yet valid';
  if (now.getTime() > w.notAfter.getTime()) return 'expired';
  return 'valid';
}

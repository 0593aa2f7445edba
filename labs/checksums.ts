// Lab: checksums. The IPv4 header checksum by hand (20 and 60 bytes), a study guide's "Hola" sum and what
// the real UDP checksum adds (the pseudo-header, the length, the complement; 0 allowed over IPv4 only),
// the TCP pseudo-header on a study guide's SYN, the Ethernet CRC-32, which damage each one catches, and the
// RFC 1624 update a NAT makes after rewriting an address. The steps live in checksums/.

import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { catchSteps } from './checksums/steps-catch.ts';
import { sumSteps } from './checksums/steps-sums.ts';
import type { ChecksumsOptions, ChecksumsState } from './checksums/state.ts';
import { checksumsExercises } from './checksums/exercises.ts';

export type { ChecksumsOptions } from './checksums/state.ts';

/** The lab, optionally with a fault injected (tests use it to show the checkpoints can fail). */
export function checksumsLab(options: ChecksumsOptions = {}) {
  return defineLab<ChecksumsState>({
    ...LAB_INFO['checksums'],
    state: () => ({ confirm: [] }),
    steps: [...sumSteps, ...catchSteps(options)],
    exercises: checksumsExercises,
  });
}

export default checksumsLab();

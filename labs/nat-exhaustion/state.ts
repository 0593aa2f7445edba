// What the nat-exhaustion-and-timeouts lab's steps leave for the exercises and the last step: the
// current home network, and the captures with the rows tshark must show in them.

import type { Confirm } from '../netsim/lab-steps.ts';
import type { Home } from '../nat-pat/home.ts';

export interface ExhaustionState {
  home?: Home;
  captures: string[];
  confirm: Confirm[];
}

// What the nat-pat lab's steps leave for the next steps and the exercises: the current home network,
// the guide's three open connections, and the captures with the rows tshark must show in them.

import type { VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import type { Confirm } from '../netsim/lab-steps.ts';
import type { Home } from './home.ts';

export interface NatPatState {
  home?: Home;
  /** The guide's three connections, open (step 2). */
  sockets?: VirtualTcpSocket[];
  captures: string[];
  confirm: Confirm[];
}

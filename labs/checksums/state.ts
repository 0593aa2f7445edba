// What the checksums lab's steps share, and the fault a test can inject.

import type { Statuses } from './frames.ts';

export interface ChecksumsState {
  /** Captures tshark re-reads at the end, with the statuses netlab gave each frame. */
  confirm: { path: string; expected: Statuses[] }[];
}

export interface ChecksumsOptions {
  /**
   * The RFC 1624 update the NAT step uses: new checksum from the old one, the old word m and the new
   * word m'. Default: the wire layer's incrementalUpdate16. A test passes a wrong one to show that the
   * step's checkpoints catch it.
   */
  readonly incrementalUpdate?: (checksum: number, oldWord: number, newWord: number) => number;
}

// What the l7-load-balancing lab's steps leave for later steps and for the exercises.

import type { Backend } from './backends.ts';

export interface L7State {
  backends?: Backend[];
  /** Health check fall count (a test lowers it to see the checkpoints fail). */
  healthFall: number;
  /** The pairing step's client 3: its address, the request id the proxy gave it, where it went. */
  paired?: { client: string; requestId: string; server: string };
  /** ip_hash: a client the table did not show, and where its request really went. */
  hashProbe?: { client: string; hash: number; server: string };
}

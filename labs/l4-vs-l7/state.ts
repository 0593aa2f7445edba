// What the l4-vs-l7 lab's steps leave for the later ones (and for its exercises).

import type { LabBackend } from './backends.ts';

export interface State {
  users?: LabBackend;
  products?: LabBackend;
  proxied?: LabBackend;
  echoPort?: number;
  /** Step 2: what each balancer did with two requests on one connection. */
  see?: { l4Backends: string[]; l7Backends: string[]; l4Log: string; l7Log: string[]; cookieAtBackend: number };
  /** Step 3: times in ms after the client's connect. */
  syn?: {
    l4UpstreamMs: number;
    l4RequestMs: number;
    l7UpstreamMs: number;
    l7RequestMs: number;
    silentL4: number;
    silentL7: number;
    framesOk: [boolean, boolean];
  };
  /** Step 4: added latency (p50, µs) over the direct path. */
  cost?: { l4AddedUs: number; l7AddedUs: number; answered: [number, number, number] };
  /** Step 5. */
  tls?: { l4Cert: 'backend' | 'balancer' | 'other'; l7Cert: 'backend' | 'balancer' | 'other'; l4SawPath: boolean; backendPlainPaths: string[] };
  /** Step 6: the client address each backend could learn. */
  addr?: { clientPort: Record<string, number>; plainPeer: string; v1: string; v2: string; l7Peer: string; xff: string; refused: boolean };
  /** Step 8: where each client's connections or requests went. */
  sticky?: { l4RoundRobin: string[]; l4IpHash: string[]; l7NoCookie: string[]; l7Cookie: string[]; cookie: string };
  /** Step 7. */
  other?: { l4Echo: string; l7Status: number; l7Backend: number };
}

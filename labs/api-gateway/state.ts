// What the api-gateway lab's steps leave for later steps and for the exercises.

import type { ReverseProxy } from '../../src/proxy/index.ts';
import type { Issuer, Service } from './parts.ts';

export interface Lab {
  readonly users: Service;
  readonly orders1: Service;
  readonly orders2: Service;
  readonly payments: Service;
  readonly issuer: Issuer;
  readonly gateway: ReverseProxy;
  /** The gateway's listener (127.183.0.1, port chosen by the system). */
  readonly to: { host: string; port: number };
  /** The JWKS file the gateway reads. */
  readonly jwksFile: string;
}

export interface GatewayState {
  lab?: Lab;
  /** The payments route's idempotency keys (a test turns them off to see the checkpoints fail). */
  idempotency: boolean;
  /** Step "Bearer tokens": the status each token got on GET /orders/1001. */
  authTable?: { token: string; status: number }[];
  /** Step "Idempotency keys": charges made at the payments service. */
  charges?: number;
  /** Step "Per-key limits": the Retry-After of the 429. */
  retryAfter?: string;
}

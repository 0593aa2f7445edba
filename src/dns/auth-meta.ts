// What one query to the authoritative server was and what it got: the record both the responder
// (auth-answer.ts) and its answer cache (auth-cache.ts) pass around, kept apart so that neither of
// them imports the other.

import type { FaultKind } from './faults.ts';

/** What one query was and what it got (the server's per-query event). */
export interface AnswerMeta {
  id: number;
  name?: string;
  type?: number;
  rcode: number;
  aa: boolean;
  tc: boolean;
  answers: number;
  /** answer | cname | nodata | nxdomain | referral | refused | error | fault | dropped */
  outcome: string;
  view?: string;
  fault?: FaultKind;
  edns: boolean;
  /** The client subnet the query carried ("127.1.0.0/24"). */
  subnet?: string;
  /** Why an error outcome happened. */
  reason?: string;
}

// The balancing layer: pure policies, endpoints, health and outlier detection, shared by the L7
// reverse proxy (src/proxy/) and the L4 balancer (src/l4/). No sockets here; time from a NetClock,
// randomness from a Random.

export { Attempt, Balancer, type AttemptOutcome, type BalancerEvent, type BalancerOptions, type EndpointSummary, type PickResult } from './balancer.ts';
export { Endpoint, Ewma, PeakEwma, type EndpointOptions, type EndpointSpec, type EndpointState, type EndpointStatsSnapshot } from './endpoint.ts';
export { avalanche53, fmix32, fnv1a32, fnv1a64, fnv1a64Hex, fnv1a64Parts, hashFunction, HASH_NAMES, keyBytes, murmur3, type HashName } from './hash.ts';
export { HealthChecker, HealthState, type HealthCheckOptions, type HealthEvent, type Probe, type ProbeResult } from './health-check.ts';
export { IpHash } from './ip-hash.ts';
export { LeastConnections, LeastTime, WeightedLeastConnections } from './least-connections.ts';
export { buildMaglevTable, isPrime, Maglev, type MaglevOptions } from './maglev.ts';
export { isServerError, OutlierDetector, type OutlierEvent, type OutlierOptions, type OutlierReason } from './outlier.ts';
export { createPolicy, type PolicyConfig } from './policies.ts';
export { lowestScore, POLICY_NAMES, type FailureKind, type FinishInfo, type PickContext, type Policy, type PolicyName, type RequestContext } from './policy.ts';
export { drawDistinct, PeakEwmaPolicy, PowerOfTwo, RandomPolicy, type PeakEwmaOptions } from './random-choice.ts';
export { buildRing, CandidateSet, RingHash, ringLookup, type Ring, type RingHashOptions } from './ring-hash.ts';
export { RoundRobin, SmoothWeightedRoundRobin, type SmoothWrrOptions } from './round-robin.ts';
export { STICKY_MODES, StickySessions, StickyTable, type StickyDecision, type StickyMissReason, type StickyMode, type StickyOptions, type StickyTableOptions } from './sticky.ts';
export { backoffMs, IDEMPOTENT_METHODS, isIdempotent, RetryBudget, retryReason, RetryPolicy, type RetryBudgetOptions, type RetryDecision, type RetryOn, type RetryPolicyOptions } from './retry.ts';

// A policy from its configuration: the name and the options that name takes.

import type { Random } from '../base/random.ts';
import type { HashName } from './hash.ts';
import { IpHash } from './ip-hash.ts';
import { LeastConnections, LeastTime, WeightedLeastConnections } from './least-connections.ts';
import { Maglev } from './maglev.ts';
import type { Policy, PolicyName } from './policy.ts';
import { PeakEwmaPolicy, PowerOfTwo, RandomPolicy } from './random-choice.ts';
import { RingHash } from './ring-hash.ts';
import { RoundRobin, SmoothWeightedRoundRobin } from './round-robin.ts';

/** A policy and its options, as a config file gives them. */
export type PolicyConfig =
  | { readonly name: 'round_robin' }
  | { readonly name: 'weighted_round_robin'; readonly maxFails?: number }
  | { readonly name: 'least_connections' }
  | { readonly name: 'weighted_least_connections' }
  | { readonly name: 'ip_hash' }
  | { readonly name: 'least_time' }
  | { readonly name: 'ring_hash'; readonly virtualNodes?: number; readonly hash?: HashName }
  | { readonly name: 'maglev'; readonly tableSize?: number; readonly hash?: HashName }
  | { readonly name: 'power_of_two' }
  | { readonly name: 'peak_ewma'; readonly choices?: number }
  | { readonly name: 'random' };

/** Builds a policy. Randomised policies draw from `random` (seededRandom in tests). */
export function createPolicy(config: PolicyConfig | PolicyName, random: Random): Policy {
  const c: PolicyConfig = typeof config === 'string' ? ({ name: config } as PolicyConfig) : config;
  switch (c.name) {
    case 'round_robin':
      return new RoundRobin();
    case 'weighted_round_robin':
      return new SmoothWeightedRoundRobin({ maxFails: c.maxFails });
    case 'least_connections':
      return new LeastConnections();
    case 'weighted_least_connections':
      return new WeightedLeastConnections();
    case 'ip_hash':
      return new IpHash();
    case 'least_time':
      return new LeastTime();
    case 'ring_hash':
      return new RingHash({ virtualNodes: c.virtualNodes, hash: c.hash });
    case 'maglev':
      return new Maglev({ tableSize: c.tableSize, hash: c.hash });
    case 'power_of_two':
      return new PowerOfTwo(random);
    case 'peak_ewma':
      return new PeakEwmaPolicy(random, { choices: c.choices });
    case 'random':
      return new RandomPolicy(random);
  }
}

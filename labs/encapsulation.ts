// Lab: encapsulation. A study guide's own example, built byte by byte and taken apart again: an HTTP GET from
// 192.168.1.10:54321 to 142.250.183.110:443 in TCP (the handshake first: SYN seq 12345678), IPv4
// (protocol 6) and Ethernet (11:22:33:44:55:66 -> AA:BB:CC:DD:EE:FF, EtherType 0x0800, with its real
// FCS); then through a netsim router to the next hop (MACs change, IPs stay), and a frame whose FCS is
// wrong, dropped by the router's NIC. The steps live in encapsulation/.

import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { buildSteps } from './encapsulation/steps-build.ts';
import { pathSteps } from './encapsulation/steps-path.ts';
import type { EncapsulationOptions, EncapsulationState } from './encapsulation/state.ts';
import { encapsulationExercises } from './encapsulation/exercises.ts';

export type { EncapsulationOptions } from './encapsulation/state.ts';

/** The lab, optionally with a fault injected (tests use it to show the checkpoints can fail). */
export function encapsulationLab(options: EncapsulationOptions = {}) {
  return defineLab<EncapsulationState>({
    ...LAB_INFO['encapsulation'],
    state: () => ({ serverIsn: 0, confirm: [] }),
    steps: [...buildSteps, ...pathSteps(options)],
    exercises: encapsulationExercises,
  });
}

export default encapsulationLab();

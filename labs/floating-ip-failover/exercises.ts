// The floating-ip-failover lab's exercises: say which MAC announced the floating address after the
// takeover (graded by the capture), find the heartbeats with a display filter, and work out how long
// the standby waits before it takes over.

import type { Exercise } from '../../src/lab/index.ts';
import { fieldValues, filterExercise, gradeNumber } from '../../src/lab/index.ts';
import { masterDownMs } from '../../src/wire/index.ts';
import { INTERVAL_MS, MAC, PRIORITY, THRESHOLD, VIP } from './lan.ts';

export const HEARTBEAT_STEP = 'Heartbeats on the wire: only the master speaks';
export const TAKEOVER_STEP = 'lb1 dies: lb2 takes 10.0.0.100 and announces it with a gratuitous ARP';

const announcer = async (path: string): Promise<string> => (await fieldValues(path, 'arp.isgratuitous', 'arp.src.hw_mac'))[0] ?? '';

const whoAnnounced: Exercise<unknown> = {
  after: TAKEOVER_STEP,
  title: 'Who claims the address now?',
  kind: 'answer',
  expects: 'a MAC address',
  task: `After lb1 died, a host broadcast a gratuitous ARP for ${VIP}. Which MAC address does it say the address is at now? The checker reads it from takeover.pcapng.`,
  async grade(answer, ctx) {
    const want = await announcer(ctx.captureFile('takeover'));
    const typed = answer.trim().toLowerCase().replace(/-/g, ':');
    if (typed === want) return { correct: true, feedback: `${want}: lb2's card; every host that had ${VIP} cached now sends there` };
    return { correct: false, feedback: `the announcement in the capture does not say ${typed}` };
  },
  hint: 'Open the frames that match arp.isgratuitous: the sender MAC address (arp.src.hw_mac) is where the address lives now.',
  answer: `${MAC.lb2}, lb2's MAC: sender IP = target IP = ${VIP}, sender MAC = lb2.`,
  right: async (ctx) => announcer(ctx.captureFile('takeover')),
  wrong: MAC.lb1,
};

const heartbeats = filterExercise({
  after: HEARTBEAT_STEP,
  title: 'Find the heartbeats',
  file: 'heartbeats',
  find: "The master's ADVERTs: netlab's heartbeat is UDP to port 8112 (Wireshark shows it as data).",
  frames: { like: 'udp.dstport == 8112' },
  hint: 'Heartbeats are UDP datagrams to one port; look at udp.dstport of any of them.',
  right: 'udp.port == 8112',
  wrong: `eth.src == ${MAC.lb1}`,
});

const down = Math.round(masterDownMs(INTERVAL_MS, THRESHOLD, PRIORITY.lb2));

const detection: Exercise<unknown> = {
  after: TAKEOVER_STEP,
  title: 'How long does the standby wait?',
  kind: 'answer',
  expects: 'a number of milliseconds',
  task: `lb2 (priority ${PRIORITY.lb2}) hears an ADVERT every ${INTERVAL_MS} ms and gives up on the master after ${THRESHOLD} missed ones, plus VRRP's skew of (256 - priority)/256 x interval. How many ms after the last ADVERT it heard does it take the address (to the nearest ms)?`,
  grade: (answer) => gradeNumber(answer, down, { unit: 'ms', tolerance: 1 }),
  hint: `interval x threshold = ${INTERVAL_MS * THRESHOLD} ms; add (256 - ${PRIORITY.lb2})/256 x ${INTERVAL_MS}.`,
  answer: `${down} ms: ${INTERVAL_MS} x ${THRESHOLD} + ${256 - PRIORITY.lb2}/256 x ${INTERVAL_MS} = ${(INTERVAL_MS * THRESHOLD + ((256 - PRIORITY.lb2) * INTERVAL_MS) / 256).toFixed(1)} ms.`,
  right: String(down),
  wrong: String(INTERVAL_MS * THRESHOLD),
};

export const failoverExercises: readonly Exercise<unknown>[] = [heartbeats, whoAnnounced, detection];

// Lab: floating-ip-failover. Two balancers share one address, VRRP-style, with netlab's own heartbeat.
// On real loopback sockets (real-pair.ts): the active balancer is killed in the middle of traffic and
// the timeline of the takeover is measured with the requests that failed; the connections it carried
// die with it; it comes back and preempts; with the heartbeats lost on one host, the kernel's bind
// keeps the second master off the address. In the virtual network (lan.ts, captured): only the master
// sends ADVERTs; when it dies the standby takes the address after interval × threshold (+ skew) and
// announces it with a gratuitous ARP that moves the switch's table and the clients' ARP caches; and a
// split brain on a LAN, where nothing stops two masters until the heartbeats return.

import { defineLab, LoopLag, type AnyLab, type CaptureOptions, type StepContext } from '../src/lab/index.ts';
import { HEARTBEAT_PORT, LabNet, macText, type LinkFault } from '../src/netsim/index.ts';
import { LAB_INFO } from './info.ts';
import { need, wiresharkStep, type Confirm } from './netsim/lab-steps.ts';
import { tlsOutput } from './tls/output.ts';
import { failoverExercises, HEARTBEAT_STEP, TAKEOVER_STEP } from './floating-ip-failover/exercises.ts';
import {
  ADDR,
  arpSenderMac,
  buildLan,
  cachedVipMac,
  floating,
  holders,
  INTERVAL_MS,
  isVipAnnouncement,
  MAC,
  PORT,
  PRIORITY,
  THRESHOLD,
  VIP,
  portOf,
  type Lan,
} from './floating-ip-failover/lan.ts';
import { REAL, REAL_INTERVAL_MS, REAL_PRIORITY, REAL_THRESHOLD, RealPair, REQUEST_TIMEOUT_MS, type RequestResult } from './floating-ip-failover/real-pair.ts';

interface State {
  pair?: RealPair;
  net?: LabNet;
  lan?: Lan;
  captures: string[];
  confirm: Confirm[];
}

export interface FailoverLabOptions {
  /** Fault injection on the virtual links (a test loses the gratuitous ARPs to see the checkpoints fail). */
  readonly fault?: LinkFault;
}

const ms = (v: number): string => v.toFixed(0);
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

/** Polls `cond` every 5 ms for at most `limitMs`; true when it held. */
async function until(cond: () => boolean, limitMs: number): Promise<boolean> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(5);
  }
  return true;
}

const isHeartbeat = (f: Uint8Array): boolean => f.length >= 38 && f[12] === 0x08 && f[13] === 0x00 && f[23] === 17 && ((f[36] << 8) | f[37]) === HEARTBEAT_PORT;

/** Rows of an outcome count: outcome, requests. */
function outcomes(results: readonly RequestResult[]): string[][] {
  const m = new Map<string, number>();
  for (const r of results) m.set(r.outcome, (m.get(r.outcome) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)]);
}

export function floatingIpFailoverLab(options: FailoverLabOptions = {}): AnyLab {
  return defineLab<State>({
    ...LAB_INFO['floating-ip-failover'],
    state: () => ({ captures: [], confirm: [] }),
    exercises: failoverExercises,
    steps: [
      {
        title: 'Two balancers, one floating address, on loopback',
        explain:
          `Two netlab TCP balancers, lb1 (priority ${REAL_PRIORITY.lb1}) and lb2 (priority ${REAL_PRIORITY.lb2}), in front of two backends.\n` +
          `The clients know one address, ${REAL.vip}: whichever balancer is master binds its listener there.\n` +
          `The master sends an ADVERT to the other every ${REAL_INTERVAL_MS} ms (UDP, netlab's own VRRP-like heartbeat); the\n` +
          `standby is silent and waits. Both start as backup; the one whose wait runs out first (the higher\n` +
          'priority: its skew is shorter) becomes master and takes the address.',
        timeoutMs: 20_000,
        async run(ctx) {
          const pair = await RealPair.start();
          ctx.onLabEnd(() => pair.close());
          ctx.state.pair = pair;
          pair.get('lb1').start();
          pair.get('lb2').start();
          const held = await until(() => pair.get('lb1').holding, 3000);
          await sleep(4 * REAL_INTERVAL_MS);
          const results: RequestResult[] = [];
          for (let i = 1; i <= 10; i++) results.push(await pair.request(i));
          const lb1 = pair.get('lb1');
          const lb2 = pair.get('lb2');
          ctx.show.table(
            ['instance', 'priority', 'heartbeats on', 'state', `holds ${REAL.vip}:${pair.port}`],
            [
              ['lb1', REAL_PRIORITY.lb1, `${REAL.hb.lb1}:${lb1.heartbeatPort}`, lb1.state, lb1.holding ? 'yes' : 'no'],
              ['lb2', REAL_PRIORITY.lb2, `${REAL.hb.lb2}:${lb2.heartbeatPort}`, lb2.state, lb2.holding ? 'yes' : 'no'],
            ],
          );
          ctx.show.text(
            `A backup gives up on the master after interval x threshold + skew: ${REAL_INTERVAL_MS} x ${REAL_THRESHOLD} + (256 - priority)/256 x ${REAL_INTERVAL_MS}\n` +
              `= ${lb1.masterDownMs.toFixed(1)} ms for lb1, ${lb2.masterDownMs.toFixed(1)} ms for lb2. Ten requests to ${REAL.vip}: ${outcomes(results)
                .map(([k, v]) => `${v} from ${k}`)
                .join(', ')}.`,
          );
          ctx.check.equal('lb1 (the higher priority) is master and holds the address', [held, lb1.state, lb1.holding], [true, 'master', true]);
          ctx.check.equal('lb2 is backup and holds nothing', [lb2.state, lb2.holding], ['backup', false]);
          ctx.check.atLeast("lb2 hears lb1's ADVERTs", lb2.received.adverts, 3);
          ctx.check.equal('the ten requests were all answered, by both backends in turn', outcomes(results), [
            ['backend-a', '5'],
            ['backend-b', '5'],
          ]);
        },
      },
      {
        title: 'Kill the master in the middle of traffic',
        explain:
          `A client opens a new connection to ${REAL.vip} every 10 ms and sends one request; three more clients\n` +
          'hold a connection open and send a request every 20 ms. Then lb1 is killed: no goodbye (a clean stop would\n' +
          'send RESIGN and lb2 would take over at once). lb2 notices only by silence: it waits interval x threshold\n' +
          '+ skew after the last ADVERT, becomes master and binds the address. Until then nothing listens there and\n' +
          'every new connection is refused. The connections lb1 carried die with it: a TCP connection is state in\n' +
          'one process (the 4-tuple, sequence numbers), and lb2 never had it. Those clients must reconnect.\n' +
          'A study guide says it plainly: failover is not instant; connections in flight fail, and detection takes\n' +
          'interval x threshold. The lab measures both.',
        timeoutMs: 20_000,
        async run(ctx) {
          const pair = need(ctx.state.pair, 'the balancers');
          const lb2 = pair.get('lb2');
          // How late this process's timers run now (the traffic below shares the loop; other processes the CPU).
          const lag = new LoopLag();
          ctx.onStepEnd(() => lag.stop());
          const held = pair.persistent(20);
          const longLived = [held, pair.persistent(20), pair.persistent(20)];
          await until(() => longLived.every((c) => c.answers() > 0), 2000);
          let killAt = Number.POSITIVE_INFINITY;
          let boundAt = Number.POSITIVE_INFINITY;
          // Until ten requests have started after the takeover (however slowly a busy machine sends them).
          const traffic = pair.traffic(10, (starts) => starts.filter((t) => t >= boundAt + 5).length >= 10, 400);
          await sleep(150);
          killAt = pair.now();
          const answeredBefore = longLived.map((c) => c.answers());
          await pair.kill('lb1');
          const took = await until(() => lb2.holding, 3000);
          // Read now, not before the kill: an ADVERT lb1 sent just before it died may still be on its way
          // (or waiting in lb2's socket) when lb1 is killed, and it is the last one lb2 heard.
          const heardAt = (lb2.lastAdvertAt ?? Number.NaN) - pair.t0;
          boundAt = pair.events.find((e) => e.who === 'lb2' && e.what.startsWith('bound') && e.at >= killAt)?.at ?? pair.now();
          const results = await traffic;
          const ends = await Promise.race([Promise.all(longLived.map((c) => c.ended)), sleep(1000).then(() => undefined)]);
          for (const c of longLived) c.close();
          const masterAt = pair.events.find((e) => e.who === 'lb2' && e.what.startsWith('master') && e.at >= killAt)?.at ?? Number.NaN;
          const failed = results.filter((r) => !r.ok);
          const after = results.filter((r) => r.startAt >= boundAt + 5);
          const rel = (t: number): string => `${t - killAt >= 0 ? '+' : ''}${ms(t - killAt)}`;
          const firstOkAfter = results.find((r) => r.ok && r.startAt > killAt);
          const rows: string[][] = [
            [rel(heardAt), 'lb2', "hears lb1's last ADVERT"],
            [rel(killAt), 'lb1', 'killed (no RESIGN): its listener and connections are gone'],
            ...(ends ?? []).map((e, i): string[] => [rel(e.at), `client ${i + 1}`, `its open connection ends: ${e.how}`]),
            [rel(masterAt), 'lb2', `master: no ADVERT for ${lb2.masterDownMs.toFixed(0)} ms`],
            [rel(boundAt), 'lb2', `bound ${REAL.vip}:${pair.port}`],
            ...(firstOkAfter === undefined ? [] : [[rel(firstOkAfter.endAt), 'client', `first request answered again (by ${firstOkAfter.outcome})`]]),
          ];
          ctx.show.table(['ms since the kill', 'who', 'what'], rows, { title: 'The takeover' });
          ctx.show.table(['outcome', 'requests'], outcomes(results), {
            title: `${results.length} requests, one every 10 ms (${REQUEST_TIMEOUT_MS} ms to answer)`,
          });
          const detection = masterAt - killAt;
          const silence = masterAt - heardAt;
          // lb2's timer was due masterDownMs after the last ADVERT; it ran late by what the loop and the
          // scheduler added, measured around that moment (a few ms on an idle machine).
          const late = lag.allowanceMs(pair.t0 + heardAt + lb2.masterDownMs, pair.t0 + masterAt);
          // And Node starts a timer from the loop's clock, read when the current turn of the loop began and
          // counted in whole ms: armed late in a busy turn, it can run that much before the interval counted
          // from the moment it was armed.
          const early = lag.allowanceMs(pair.t0 + heardAt, pair.t0 + heardAt) + 1;
          ctx.show.text(
            `lb2 took ${ms(detection)} ms after the kill to decide, ${ms(silence)} ms after the last ADVERT it heard; configured: ${REAL_INTERVAL_MS} ms x ${REAL_THRESHOLD}\n` +
              `+ skew = ${lb2.masterDownMs.toFixed(1)} ms of silence; this process's timers ran up to ${ms(late)} ms late meanwhile\n` +
              `(the checkpoints allow that much). ${failed.length} requests failed in between, about one per 10 ms of the\n` +
              'gap: lowering the interval or the threshold shortens it, at the price of a takeover on any few lost\n' +
              'heartbeats.',
          );
          ctx.check.equal('lb2 took the address', took, true);
          // On a busy machine timers fire late: the room above is that lateness, measured (and below, `early`).
          ctx.check.between(
            `lb2 decided after the configured silence, interval x threshold + skew (${lb2.masterDownMs.toFixed(1)} ms)`,
            Math.round(silence),
            Math.floor(lb2.masterDownMs - early),
            Math.ceil(lb2.masterDownMs + late + 1),
            'ms',
          );
          ctx.check.between('so detection took at most that long after the kill', Math.round(detection), 0, Math.ceil(lb2.masterDownMs + late + 1), 'ms');
          ctx.check.atLeast('failover is not instant: requests failed while nobody held the address', failed.length, 1);
          ctx.check.equal(
            'the failures were refused connections, or requests lb1 was carrying',
            failed.filter((r) => !['ECONNREFUSED', 'ECONNRESET', 'closed'].includes(r.outcome)).map((r) => `${r.n} ${r.outcome}`),
            [],
          );
          ctx.check.equal(
            'every request that started before the kill or after lb2 took the address was answered',
            results.filter((r) => (r.endAt < killAt || r.startAt >= boundAt + 5) && !r.ok).map((r) => `${r.n} ${r.outcome}`),
            [],
          );
          ctx.check.atLeast('and requests after the takeover were answered through lb2', after.filter((r) => r.ok).length, 5);
          ctx.check.equal(
            'the three open connections had answers before the kill, and all ended with it: none moved to lb2',
            [answeredBefore.every((n) => n > 0), ends?.length ?? 0, (ends ?? []).every((e) => e.at >= killAt && e.at < boundAt + 50)],
            [true, 3, true],
          );
        },
      },
      {
        title: 'lb1 comes back: preemption, and a split brain on one host',
        explain:
          `lb1 restarts. With preemption on (the default), a backup that hears an ADVERT from a lower priority takes\n` +
          "over at once: lb1 becomes master on lb2's first ADVERT, and lb2 steps down on lb1's. That is a second,\n" +
          'shorter interruption; preemption off would leave lb2 in charge. Then the heartbeats are lost both ways\n' +
          '(both deaf), with both alive: lb2 hears nothing for its wait and becomes master too. Two masters, one\n' +
          "address: on one host the kernel lets only one socket bind 127.77.0.100 on that port, so lb2's bind fails\n" +
          '(EADDRINUSE) on every try and the clients never notice. When the heartbeats return, the lower priority\n' +
          'steps down. Between two machines there is no such kernel: that is the next steps, on a LAN.',
        timeoutMs: 20_000,
        async run(ctx) {
          const pair = need(ctx.state.pair, 'the balancers');
          const lb2 = pair.get('lb2');
          const lb1 = await pair.instance('lb1');
          pair.connectPeers();
          const mark = pair.events.length;
          const startAt = pair.now();
          lb1.start();
          const back = await until(() => lb1.holding && lb2.state === 'backup', 3000);
          const handover = pair.events.slice(mark).map((e) => [`+${ms(e.at - startAt)}`, e.who, e.what]);
          ctx.show.table(['ms since lb1 restarted', 'who', 'what'], handover, { title: 'Preemption' });
          ctx.check.equal(
            'lb1 preempted: it holds the address again and lb2 is backup',
            [back, lb1.holding, lb2.state, lb2.holding],
            [true, true, 'backup', false],
          );
          ctx.check.ok(
            "lb1 did not wait for a timeout: it took over on lb2's first ADVERT",
            pair.events.slice(mark).some((e) => e.who === 'lb1' && e.what.startsWith('master (preempting instance 2')),
            handover.map((r) => r.join(' ')).join('; '),
          );

          const refusedBefore = pair.refused.lb2.count;
          lb1.deafened = true;
          lb2.deafened = true;
          const deafAt = pair.now();
          const twoMasters = await until(() => lb2.state === 'master', 3000);
          const during = await pair.traffic(10, () => false, 20);
          const both = [lb1.state, lb2.state, lb1.holding, lb2.holding];
          const refused = pair.refused.lb2.count - refusedBefore;
          lb1.deafened = false;
          lb2.deafened = false;
          const healed = await until(() => lb2.state === 'backup', 3000);
          ctx.show.table(
            ['', 'lb1', 'lb2'],
            [
              ['state while deaf', both[0], both[1]],
              [`holds ${REAL.vip}`, both[2] ? 'yes' : 'no', both[3] ? 'yes' : 'no'],
              ['binds refused', '0', `${refused} (${pair.refused.lb2.code || 'none'})`],
              ['state once heartbeats return', lb1.state, lb2.state],
            ],
            { title: `Heartbeats lost for ${ms(pair.now() - deafAt)} ms, both alive` },
          );
          ctx.check.equal('with the heartbeats lost, both are master', [twoMasters, both[0], both[1]], [true, 'master', 'master']);
          ctx.check.equal('but only lb1 holds the address: one socket per address and port', [both[2], both[3]], [true, false]);
          ctx.check.equal("lb2's binds were refused by the kernel", [refused >= 1, pair.refused.lb2.code], [true, 'EADDRINUSE']);
          ctx.check.equal('the clients saw nothing: 20 of 20 requests answered', during.filter((r) => r.ok).length, 20);
          ctx.check.equal('when the heartbeats returned, lb2 (the lower priority) stepped down', [healed, lb1.state, lb1.holding], [true, 'master', true]);
        },
      },
      {
        title: HEARTBEAT_STEP,
        explain:
          `The same two balancers in the virtual network: lb1 (${ADDR.lb1}, priority ${PRIORITY.lb1}) and lb2 (${ADDR.lb2}, priority ${PRIORITY.lb2})\n` +
          `on switch sw1 with two clients, c1 and c2. Here the floating address ${VIP} is a second address on the\n` +
          "master's card (ip addr add), announced by a gratuitous ARP when it is taken. The master sends an ADVERT to\n" +
          `lb2 every ${INTERVAL_MS} ms (UDP port ${HEARTBEAT_PORT}); the backup says nothing. The clients ping ${VIP} and learn lb1's MAC.`,
        async run(ctx) {
          const net = new LabNet({ start: ctx.clock.now(), fault: options.fault });
          ctx.onLabEnd(() => net.close());
          ctx.state.net = net;
          const lan = buildLan(net);
          ctx.state.lan = lan;
          lan.lb1.start();
          lan.lb2.start();
          await net.wait(1000);
          const p1 = await net.run(lan.c1.ping(VIP, { count: 1 }));
          const p2 = await net.run(lan.c2.ping(VIP, { count: 1 }));
          const hbFrames = net.frames.filter((w) => isHeartbeat(w.frame));
          const fromLb1 = hbFrames.filter((w) => w.from === 'lb1-eth0');
          // The first ADVERT waited for ARP to find lb2's MAC; from then on the interval is exact.
          const gaps = fromLb1.slice(2).map((w, i) => Math.round((w.atMs - fromLb1[i + 1].atMs) * 10) / 10);
          // The frames so far, each with its own simulated time (the counts are known now; the runner
          // checks each printed filter against tshark).
          const cap = replay(ctx, net, 'heartbeats', 0, {
            filter: `udp.dstport == ${HEARTBEAT_PORT}`,
            frames: hbFrames.length,
            about: "lb1's ADVERTs, each on lb1's link and on lb2's (lb2 sends none)",
            also: [
              {
                filter: 'arp.isgratuitous',
                frames: net.frames.filter((w) => isVipAnnouncement(w.frame)).length,
                about: `lb1 announces ${VIP} as it becomes master, flooded to every port`,
              },
              { filter: `icmp.type == 0 && ip.src == ${VIP}`, frames: 4, about: `the answers to the clients' pings: from ${VIP}, lb1's MAC` },
            ],
          });
          ctx.show.table(
            ['', 'lb1', 'lb2'],
            [
              ['state', lan.lb1.state, lan.lb2.state],
              ['ADVERTs sent', lan.lb1.sent, lan.lb2.sent],
              ['ADVERTs heard', lan.lb1.received.adverts, lan.lb2.received.adverts],
              [`holds ${VIP}`, lan.lb1.holding ? 'yes' : 'no', lan.lb2.holding ? 'yes' : 'no'],
            ],
          );
          ctx.show.text(`c1's ARP cache: ${VIP} at ${cachedVipMac(lan.c1)}; c2's: ${cachedVipMac(lan.c2)}.`);
          ctx.show.text(`sw1# show mac address-table\n${lan.sw.formatMacTable()}`);
          const first = lan.log.find((l) => l.who === 'lb1' && l.state === 'master');
          ctx.check.equal('lb1 became master, lb2 stayed backup', [lan.lb1.state, lan.lb2.state, holders(lan)], ['master', 'backup', 'lb1']);
          ctx.check.between(
            `lb1 took the address after its own wait, ${lan.lb1.masterDownMs.toFixed(1)} ms`,
            first?.at ?? -1,
            lan.lb1.masterDownMs - 1,
            lan.lb1.masterDownMs + 1,
            'ms',
          );
          ctx.check.equal('only the master sends heartbeats', [fromLb1.length > 0, hbFrames.filter((w) => w.from === 'lb2-eth0').length], [true, 0]);
          ctx.check.equal(`one ADVERT every ${INTERVAL_MS} ms (after the first, which waited for ARP)`, [...new Set(gaps)], [INTERVAL_MS]);
          ctx.check.equal(
            "both clients reached the address, and cached lb1's MAC for it",
            [p1.replies.length, p2.replies.length, cachedVipMac(lan.c1), cachedVipMac(lan.c2)],
            [1, 1, MAC.lb1, MAC.lb1],
          );
          ctx.check.equal("the switch knows lb1's MAC on lb1's port", portOf(lan.sw, MAC.lb1, net.clock.now()), PORT.lb1);
          ctx.state.confirm.push({
            path: cap,
            what: 'the ADVERTs: from lb1 to lb2, and nothing from lb2',
            fields: ['ip.src', 'ip.dst', 'udp.dstport'],
            pick: (r) => r[2] === String(HEARTBEAT_PORT),
            expected: hbFrames.map(() => [ADDR.lb1, ADDR.lb2, String(HEARTBEAT_PORT)]),
          });
        },
      },
      {
        title: TAKEOVER_STEP,
        explain:
          `lb1 dies (its port goes dark). lb2 hears no ADVERT for ${THRESHOLD} x ${INTERVAL_MS} ms + skew, becomes master, adds ${VIP} to its card\n` +
          'and broadcasts a gratuitous ARP: a request for its own address, sender = target = the floating address,\n' +
          "that nobody answers. The switch hears it on p4; c1 and c2 had the address cached at lb1's MAC and\n" +
          "update the entry to lb2's without asking (a host refreshes a sender it already knows). c1's next ping\n" +
          'goes straight to lb2, with no ARP request first.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const lan = need(ctx.state.lan, 'the LAN');
          const mark = net.frames.length;
          const t0 = net.clock.now();
          const lastAdvert = [...net.frames].reverse().find((w) => isHeartbeat(w.frame) && w.from === 'lb1-eth0')?.atMs ?? t0;
          // Where sw1 sends a client's frames for the address: the port of the MAC the client holds for it.
          const toward = (at: number): string => portOf(lan.sw, cachedVipMac(lan.c1), at);
          const before = { c1: cachedVipMac(lan.c1), c2: cachedVipMac(lan.c2), sw: toward(t0) };
          lan.lb1.crash();
          lan.sw.setPortUp(PORT.lb1, false);
          await net.runUntil(() => lan.lb2.holding, 5000, 'lb2 to take the address');
          const tookAt = net.clock.now();
          await net.wait(5);
          const askedBefore = lan.c1.interface('eth0').stats.arpRequestsSent;
          const ping = await net.run(lan.c1.ping(VIP, { count: 1 }));
          const asked = lan.c1.interface('eth0').stats.arpRequestsSent - askedBefore;
          const frames = net.since(mark);
          const garps = frames.filter((w) => isVipAnnouncement(w.frame));
          const cap = replay(ctx, net, 'takeover', mark, {
            filter: 'arp.isgratuitous',
            frames: garps.length,
            about: `lb2 announces ${VIP} (sender = target): sent on p4, flooded to c1 and c2 (p3 is dark)`,
            also: [
              { filter: `eth.dst == ${MAC.lb2} && icmp.type == 8`, frames: 2, about: "c1's echo request, to lb2's MAC now" },
              { filter: `arp.opcode == 1 && arp.src.proto_ipv4 == ${ADDR.c1}`, frames: 0, about: 'c1 did not need to ask ARP for the address' },
            ],
          });
          const after = { c1: cachedVipMac(lan.c1), c2: cachedVipMac(lan.c2), sw: toward(net.clock.now()) };
          ctx.show.table(
            ['simulated ms', 'event'],
            [
              [(lastAdvert - t0).toFixed(1), "lb1's last ADVERT leaves"],
              ['0.0', 'lb1 dies, its switch port goes dark'],
              [(tookAt - t0).toFixed(1), `lb2: master (no ADVERT for ${lan.lb2.masterDownMs.toFixed(1)} ms), gratuitous ARP`],
              [(tookAt - t0 + 5).toFixed(1), `c1 pings ${VIP}: ${ping.replies.length === 1 ? 'answered by lb2' : 'no answer'}`],
            ],
            { title: 'The takeover, in simulated time' },
          );
          ctx.show.table(
            ['', 'before', 'after'],
            [
              [`c1's ARP entry for ${VIP}`, before.c1, after.c1],
              [`c2's ARP entry for ${VIP}`, before.c2, after.c2],
              [`sw1: port toward ${VIP} (c1's entry)`, before.sw, after.sw],
            ],
            { title: 'What the gratuitous ARP moved' },
          );
          ctx.check.between(
            `lb2 took over ${lan.lb2.masterDownMs.toFixed(1)} ms after the last ADVERT it heard (interval x threshold + skew)`,
            Math.round((tookAt - lastAdvert) * 10) / 10,
            lan.lb2.masterDownMs - 1,
            lan.lb2.masterDownMs + 1,
            'ms',
          );
          ctx.check.equal(
            'lb2 broadcast a gratuitous ARP for the address, sender = target, from its own MAC',
            garps.filter((w) => w.from === 'lb2-eth0').map((w) => `${macText(w.frame.subarray(0, 6))} ${arpSenderMac(w.frame)}`),
            [`ff:ff:ff:ff:ff:ff ${MAC.lb2}`],
          );
          ctx.check.equal(
            'the switch flooded it to both clients',
            garps.map((w) => w.to).filter((t) => t.startsWith('c')),
            ['c1-eth0', 'c2-eth0'],
          );
          ctx.check.equal(
            "both clients' ARP entries moved from lb1's MAC to lb2's",
            [before.c1, before.c2, after.c1, after.c2],
            [MAC.lb1, MAC.lb1, MAC.lb2, MAC.lb2],
          );
          ctx.show.text(`sw1# show mac address-table\n${lan.sw.formatMacTable()}`);
          ctx.show.text(
            "VRRP itself gives the address a virtual MAC (00:00:5e:00:01 and the router's id) that moves with it:\n" +
              "there the clients' caches never change, and what moves is that one MAC's entry in the switch, from the\n" +
              "old master's port to the new one's, taught by the same gratuitous ARP.",
          );
          ctx.check.equal("frames for the address now leave sw1 by lb2's port, not lb1's", [before.sw, after.sw], [PORT.lb1, PORT.lb2]);
          ctx.check.equal("lb1's MAC left the table with its port", portOf(lan.sw, MAC.lb1, net.clock.now()), '(not learnt)');
          ctx.check.equal("c1's ping was answered, without an ARP request first", [ping.replies.length, asked], [1, 0]);
          ctx.state.confirm.push({
            path: cap,
            what: 'the gratuitous ARP on each link',
            fields: ['frame.comment', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.src.hw_mac', 'arp.isgratuitous'],
            pick: (r) => r[4] !== '',
            expected: garps.map((w) => [`${w.link}: ${w.from} -> ${w.to}`, VIP, VIP, MAC.lb2, '1']),
          });
        },
      },
      {
        title: 'A split brain on the LAN: heartbeats lost, both alive',
        explain:
          `lb1 comes back on its port and preempts lb2 (higher priority, preempt on): it announces ${VIP} again and\n` +
          'the clients follow. Then the heartbeats stop both ways while the LAN still works (a firewall rule on the\n' +
          'heartbeat port, a broken link between the two only). lb2 hears nothing for its wait, becomes master and\n' +
          'announces the address too: two hosts answer for it, and the clients follow whichever spoke last. Nothing\n' +
          'in the protocol prevents this: priorities only decide who wins once the heartbeats return. Then lb2 hears\n' +
          "lb1's ADVERT, steps down and says so (RESIGN); lb1 announces the address again and the clients come back.",
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const lan = need(ctx.state.lan, 'the LAN');
          const mark = net.frames.length;
          lan.sw.setPortUp(PORT.lb1, true);
          lan.lb1h.removeSecondaryAddress('eth0', VIP); // it rebooted: the address it held is gone
          lan.lb1 = floating(lan, lan.lb1h, ADDR.lb2, PRIORITY.lb1, 1);
          const back = net.clock.now();
          lan.lb1.start();
          await net.wait(1000);
          const preempted = lan.log.find((l) => l.who === 'lb1' && l.at >= back && l.state === 'master');
          const afterPreempt = { holders: holders(lan), c1: cachedVipMac(lan.c1) };
          lan.lb1.muted = true;
          lan.lb2.muted = true;
          const cutAt = net.clock.now();
          await net.wait(1000);
          const split = { holders: holders(lan), c1: cachedVipMac(lan.c1), c2: cachedVipMac(lan.c2), states: [lan.lb1.state, lan.lb2.state] };
          const conflicts = lan.lb1h.interface('eth0').stats.arpConflicts;
          const ping = await net.run(lan.c1.ping(VIP, { count: 1 }));
          const answeredBy = lan.lb2h.stats.ipReceived;
          lan.lb1.muted = false;
          lan.lb2.muted = false;
          const healAt = net.clock.now();
          await net.wait(500);
          const healed = { holders: holders(lan), c1: cachedVipMac(lan.c1), c2: cachedVipMac(lan.c2), states: [lan.lb1.state, lan.lb2.state] };
          const frames = net.since(mark);
          const garps = frames.filter((w) => isVipAnnouncement(w.frame) && w.from.startsWith('lb'));
          const cap = replay(ctx, net, 'split-brain', mark, {
            filter: `arp.isgratuitous && eth.src == ${MAC.lb1}`,
            frames: frames.filter((w) => isVipAnnouncement(w.frame) && arpSenderMac(w.frame) === MAC.lb1).length,
            about: "lb1's announcements, on each link: when it preempts, and again when the split brain ends",
            also: [
              {
                filter: `arp.isgratuitous && eth.src == ${MAC.lb2}`,
                frames: frames.filter((w) => isVipAnnouncement(w.frame) && arpSenderMac(w.frame) === MAC.lb2).length,
                about: "lb2's, when it thinks lb1 is dead (it is not)",
              },
            ],
          });
          const who = (w: (typeof frames)[number]): string => (w.from === 'lb1-eth0' ? 'lb1' : 'lb2');
          ctx.show.table(
            ['simulated ms', 'who', 'what'],
            lan.log
              .filter((l) => l.at >= back)
              .map((l) => [(l.at - back).toFixed(1), l.who, `${l.state} (${l.why})`])
              .concat([
                [(cutAt - back).toFixed(1), '-', 'heartbeats lost both ways'],
                [(healAt - back).toFixed(1), '-', 'heartbeats back'],
              ])
              .sort((a, b) => Number(a[0]) - Number(b[0])),
            { title: 'lb1 back, then a split brain' },
          );
          ctx.show.table(
            ['', 'holds the address', "c1's entry", "c2's entry"],
            [
              ['lb1 preempted', afterPreempt.holders, afterPreempt.c1, '-'],
              ['heartbeats lost', split.holders, split.c1, split.c2],
              ['heartbeats back', healed.holders, healed.c1, healed.c2],
            ],
          );
          ctx.show.text(
            `Announcements of ${VIP}: ${garps.map(who).join(', ')}. What prevents two masters is outside the protocol: a heartbeat\n` +
              "path as sure as the clients' path (or several), a third voter so that only a side with a majority may\n" +
              'take the address (quorum), or fencing: power off the other before taking over (STONITH). Preemption\n' +
              'does not: it only says whether a returning higher priority takes back a working address.',
          );
          ctx.check.equal(
            'lb1 came back and preempted lb2 without waiting for a timeout',
            [preempted?.why.startsWith('preempting instance 2') ?? false, afterPreempt.holders, afterPreempt.c1],
            [true, 'lb1', MAC.lb1],
          );
          ctx.check.equal(
            'with the heartbeats lost both are master and both hold the address',
            [split.states, split.holders],
            [['master', 'master'], 'lb1+lb2'],
          );
          ctx.check.equal("the clients followed the last announcement: lb2's", [split.c1, split.c2], [MAC.lb2, MAC.lb2]);
          ctx.check.atLeast('lb1 saw another card claim its address (an ARP conflict) and could do nothing about it', conflicts, 1);
          ctx.check.equal("c1's ping during the split brain went to lb2, and was answered", [ping.replies.length, answeredBy > 0], [1, true]);
          ctx.check.equal(
            "when the heartbeats returned lb2 stepped down and the clients came back to lb1's MAC",
            [healed.states, healed.holders, healed.c1, healed.c2],
            [['master', 'backup'], 'lb1', MAC.lb1, MAC.lb1],
          );
          ctx.state.confirm.push({
            path: cap,
            what: "who announced the address, in order, on the announcer's own link",
            fields: ['frame.comment', 'arp.src.hw_mac', 'arp.isgratuitous'],
            pick: (r) => r[2] !== '' && /: lb\d-eth0 ->/.test(r[0] ?? ''),
            expected: garps.map((w) => [`${w.link}: ${w.from} -> ${w.to}`, who(w) === 'lb1' ? MAC.lb1 : MAC.lb2, '1']),
          });
        },
      },
      wiresharkStep<State>("tshark reads the virtual network's captures: the ADVERTs, the gratuitous ARPs, and no malformed packet."),
    ],
  });
}

/** Writes the frames of the network since `mark` (default: all) into a new capture of this step; its path. */
function replay(ctx: StepContext<State>, net: LabNet, file: string, mark: number, options: CaptureOptions): string {
  const out = tlsOutput(ctx);
  const cap = out.capture(file, options);
  for (const w of net.since(mark)) cap.write(w.frame, { comment: `${w.link}: ${w.from} -> ${w.to}`, time: net.timestamp(w.atMs) });
  const path = out.pathOf(file);
  ctx.state.captures.push(path);
  return path;
}

export default floatingIpFailoverLab();

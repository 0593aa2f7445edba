// Lab: mac-and-arp. Three virtual hosts on one learning switch (src/netsim/switch.ts), no router, on
// tapped in-memory links and a simulated clock: the ARP request is a broadcast that the switch floods
// and the reply a unicast it forwards to one port; the MAC table fills in; a MAC the switch has aged
// out makes it flood a unicast frame; a gratuitous ARP moves an address to a standby host; and with no
// router nothing leaves the LAN. Every frame on every link is in the step's capture.

import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import type { AnyLab } from '../src/lab/index.ts';
import type { Host } from '../src/netsim/index.ts';
import { ipv4Number, macText } from '../src/netsim/index.ts';
import { NetsimError } from '../src/netsim/index.ts';
import { arpRequests, frameSequence } from './netsim/describe.ts';
import { viewFrames, type FrameView } from './netsim/frame-view.ts';
import { LabNet, type LinkFault } from '../src/netsim/index.ts';
import { need, recordStep, wiresharkStep, type Confirm } from './netsim/lab-steps.ts';
import { arpText } from './routing-and-ttl/show.ts';
import { ADDR, AGING_MS, ARP_TIMEOUT_MS, MAC, buildLan, plugStandby, type Lan } from './mac-and-arp/topology.ts';
import { macAndArpExercises } from './mac-and-arp/exercises.ts';

interface State {
  net?: LabNet;
  lan?: Lan;
  captures: string[];
  confirm: Confirm[];
}

const PARTICIPANTS = ['h1', 'sw1', 'h2', 'h3'];

/** `sw1# show mac address-table` and the table. */
function macTableText(lan: Lan, note: string): string {
  return `sw1# show mac address-table   (${note})\n${lan.sw.formatMacTable()}`;
}

/** The links a frame kind appeared on, in order: `h1-sw1 h1-eth0 -> sw1-p1`. */
const hops = (frames: readonly FrameView[]): string[] => frames.map((v) => `${v.from} -> ${v.to}`);
const isEchoRequest = (v: FrameView): boolean => v.icmp?.type === 8;
const isEchoReply = (v: FrameView): boolean => v.icmp?.type === 0;

/** The MAC h1's ARP cache holds for `ip` (or '(none)'). */
function cached(h: Host, ip: string): string {
  const mac = h.interface('eth0').cache.lookup(ipv4Number(ip));
  return mac === undefined ? '(none)' : macText(mac);
}

export interface MacArpLabOptions {
  /** Fault injection on the links (tests use it to show the checkpoints can fail). */
  readonly fault?: LinkFault;
}

export function macAndArpLab(options: MacArpLabOptions = {}): AnyLab {
  return defineLab<State>({
    ...LAB_INFO['mac-and-arp'],
    state: () => ({ captures: [], confirm: [] }),
    exercises: macAndArpExercises,
    steps: [
      {
        title: 'Who has 192.168.1.3? The question is a broadcast, the answer is not',
        explain:
          `Three hosts sit on one switch, sw1, in one LAN (192.168.1.0/24), with no router: h1 (${ADDR.h1}), h2\n` +
          `(${ADDR.h2}) and h3 (${ADDR.h3}). h1 pings h2. An IP packet travels inside an Ethernet frame, and the frame\n` +
          'needs h2\'s MAC address, which h1 does not know. So h1 broadcasts an ARP request, "who has 192.168.1.3?",\n' +
          "to ff:ff:ff:ff:ff:ff. The switch has never seen anyone: it learns h1's MAC on port p1 from the frame's\n" +
          'source address, and floods the broadcast out of every other port. h2 recognises its address and answers\n' +
          "with a unicast ARP reply to h1's MAC; the switch learns h2 on p2 and, knowing h1, sends the reply out of p1\n" +
          'only. h3 hears the question but not the answer, and learns nothing (RFC 826: only the asked host adds\n' +
          "the asker to its table). Then the echo request goes to h2's own MAC: on a LAN the frame is addressed to\n" +
          'the destination itself, not to a gateway.',
        async run(ctx) {
          const net = new LabNet({ start: ctx.clock.now(), fault: options.fault });
          ctx.state.net = net;
          ctx.onLabEnd(() => net.close());
          const path = recordStep(ctx, net, 'arp-and-ping', {
            filter: 'arp',
            about: 'the request on three links (h1 to the switch, then flooded to h2 and h3), the reply on two',
            frames: 5,
            also: [
              { filter: `eth.dst == ${MAC.broadcast}`, about: 'broadcast: the ARP request, flooded', frames: 3 },
              { filter: 'arp.opcode == 2', about: 'the reply: h2 to the switch, the switch to h1 only', frames: 2 },
              { filter: `icmp && eth.dst == ${MAC.h2}`, about: "the echo request, to h2's own MAC on both sides of the switch", frames: 2 },
            ],
          });
          const lan = buildLan(net);
          ctx.state.lan = lan;
          const { h1, h2, h3, sw } = lan;
          ctx.show.text(`${arpText(h1, 'before')}\n\n${macTableText(lan, 'before')}`);
          const mark = net.frames.length;
          const result = await net.run(h1.ping(ADDR.h2, { count: 1 }));
          ctx.show.text(`h1$ ping -c 1 ${ADDR.h2}\n${result.text()}`);
          const views = viewFrames(net.since(mark));
          ctx.show.sequence(frameSequence(PARTICIPANTS, views, { title: `Every frame on every link (simulated time; each link takes ${net.delayMs} ms)` }));
          ctx.show.text(macTableText(lan, 'after'));
          ctx.show.text(`${arpText(h1, 'after')}\n\n${arpText(h2, 'after')}\n\n${arpText(h3, 'after')}`);

          const requests = arpRequests(views);
          ctx.check.equal('the ARP request is sent to the broadcast address', [...new Set(requests.map((v) => v.ethDst))], [MAC.broadcast]);
          ctx.check.equal('the switch flooded it out of p2 and p3, not back out of p1', hops(requests), [
            'h1-eth0 -> sw1-p1',
            'sw1-p2 -> h2-eth0',
            'sw1-p3 -> h3-eth0',
          ]);
          const replies = views.filter((v) => v.arp?.op === 2);
          ctx.check.equal(
            "the reply is a unicast from h2's MAC to h1's",
            [...new Set(replies.map((v) => `${v.ethSrc} -> ${v.ethDst}`))],
            [`${MAC.h2} -> ${MAC.h1}`],
          );
          ctx.check.equal('the switch sent the reply out of p1 only (it had learned h1 there)', hops(replies), ['h2-eth0 -> sw1-p2', 'sw1-p1 -> h1-eth0']);
          ctx.check.equal(
            "the reply says 192.168.1.3 is at h2's MAC",
            replies[0]?.arp === undefined ? '(no reply)' : `${replies[0].arp.senderIp} is at ${replies[0].arp.senderMac}`,
            `${ADDR.h2} is at ${MAC.h2}`,
          );
          const echo = views.filter(isEchoRequest);
          ctx.check.equal("the echo request goes to h2's own MAC (no gateway on a LAN)", [...new Set(echo.map((v) => v.ethDst))], [MAC.h2]);
          ctx.check.equal(
            'the switch passes the frame on unchanged (same bytes on both links)',
            echo.length === 2 && Buffer.compare(net.frames[echo[0].index].frame, net.frames[echo[1].index].frame) === 0,
            true,
          );
          ctx.check.equal(
            '...and does not touch IP: TTL 64 on both links',
            echo.map((v) => v.ip?.ttl),
            [64, 64],
          );
          ctx.check.equal(
            'h3 saw the question and nothing else',
            views.filter((v) => v.to === 'h3-eth0').map((v) => (v.arp?.op === 1 ? 'ARP request' : 'other')),
            ['ARP request'],
          );
          ctx.check.equal(
            'the MAC table now holds h1 on p1 and h2 on p2',
            sw.macTable.entries(net.clock.now()).map((e) => `${e.mac} ${e.port}`),
            [`${MAC.h1} sw1-p1`, `${MAC.h2} sw1-p2`],
          );
          ctx.check.equal("h1 learned h2's MAC from the reply", cached(h1, ADDR.h2), MAC.h2);
          ctx.check.equal("h2 learned h1's MAC from the request (it was the one asked)", cached(h2, ADDR.h1), MAC.h1);
          ctx.check.equal('h3 learned nothing: the question was not for it', cached(h3, ADDR.h1), '(none)');
          ctx.check.equal('the ping got its reply', result.stats.received, 1);
          ctx.state.confirm.push({
            path,
            what: 'the ARP request and reply on each link',
            fields: ['frame.comment', 'eth.src', 'eth.dst', 'arp.opcode'],
            pick: (r) => r[3] !== '',
            expected: [
              ['h1-sw1: h1-eth0 -> sw1-p1', MAC.h1, MAC.broadcast, '1'],
              ['h2-sw1: sw1-p2 -> h2-eth0', MAC.h1, MAC.broadcast, '1'],
              ['h3-sw1: sw1-p3 -> h3-eth0', MAC.h1, MAC.broadcast, '1'],
              ['h2-sw1: h2-eth0 -> sw1-p2', MAC.h2, MAC.h1, '2'],
              ['h1-sw1: sw1-p1 -> h1-eth0', MAC.h2, MAC.h1, '2'],
            ],
          });
        },
      },
      {
        title: 'The switch has learned: unicast goes out of one port',
        explain:
          'h1 pings h2 three more times, a second apart. Both MACs are in the table now, so every frame goes out of\n' +
          "exactly one port: h3's link stays silent, and nothing is flooded. No ARP either: h1 and h2 kept each other's\n" +
          "MAC. Each frame refreshes its source's entry, so the Age column stays small while hosts talk.",
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const lan = need(ctx.state.lan, 'the LAN');
          recordStep(ctx, net, 'learned', {
            filter: 'icmp',
            about: 'three echo requests and replies, each on two links (h1 to sw1, sw1 to h2, and back)',
            frames: 12,
            also: [
              { filter: 'arp', about: "no ARP: both hosts know each other's MAC", frames: 0 },
              { filter: `eth.dst == ${MAC.broadcast}`, about: 'nothing flooded', frames: 0 },
            ],
          });
          const flooded = lan.sw.counters('sw1-p1').flooded + lan.sw.counters('sw1-p2').flooded;
          const mark = net.frames.length;
          const result = await net.run(lan.h1.ping(ADDR.h2, { count: 3, intervalMs: 1000 }));
          ctx.show.text(`h1$ ping -c 3 ${ADDR.h2}\n${result.text()}`);
          const views = viewFrames(net.since(mark));
          ctx.show.text(macTableText(lan, `${(net.clock.now() / 1000).toFixed(0)} s after the network came up`));
          ctx.show.text(`sw1# show interfaces counters\n${lan.sw.formatCounters()}`);

          ctx.check.equal('three replies', result.stats.received, 3);
          ctx.check.equal('no frame reached h3', views.filter((v) => v.to === 'h3-eth0').length, 0);
          ctx.check.equal('no ARP was needed', views.filter((v) => v.arp !== undefined).length, 0);
          ctx.check.equal('the switch flooded nothing', lan.sw.counters('sw1-p1').flooded + lan.sw.counters('sw1-p2').flooded - flooded, 0);
          ctx.check.equal('every request went h1 -> p1, p2 -> h2', [...new Set(hops(views.filter(isEchoRequest)))], ['h1-eth0 -> sw1-p1', 'sw1-p2 -> h2-eth0']);
          ctx.check.equal(
            'every entry was refreshed by the last ping (age under 1 s)',
            lan.sw.macTable.entries(net.clock.now()).map((e) => e.ageMs < 1000),
            [true, true],
          );
        },
      },
      {
        title: 'A MAC the switch has forgotten: unknown unicast is flooded',
        explain:
          `Nobody says anything for ${AGING_MS / 1000} seconds (simulated). The switch ages out every MAC it has not heard from for\n` +
          `${AGING_MS / 1000} s (802.1D's default ageing time), so its table is empty. The hosts keep their ARP entries for 4 hours\n` +
          "(a common router default): h1 still knows h2's MAC and sends the echo request at once, no ARP. The switch\n" +
          'does not know where that MAC lives, so it floods the unicast frame out of every other port, as it would a\n' +
          "broadcast. h3's network card sees a destination MAC that is not its own and drops the frame before IP\n" +
          "ever sees it. h2's reply teaches the switch again, and the next frames go to one port.",
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const lan = need(ctx.state.lan, 'the LAN');
          recordStep(ctx, net, 'unknown-unicast', {
            filter: `icmp.type == 8 && eth.dst == ${MAC.h2}`,
            about: "one echo request on three links: h1 to sw1, then flooded to h2 and to h3 (still addressed to h2's MAC)",
            frames: 3,
            also: [
              { filter: 'icmp.type == 0', about: 'the reply: the switch knows h1 again, one port', frames: 2 },
              { filter: 'arp', about: "no ARP: h1's ARP entry outlived the switch's MAC entry", frames: 0 },
            ],
          });
          await net.wait(AGING_MS);
          ctx.show.text(macTableText(lan, `after ${AGING_MS / 1000} s of silence`));
          ctx.show.text(arpText(lan.h1, 'still there'));
          const aged = lan.sw.macTable.entries(net.clock.now()).length;
          const ignoredBefore = lan.h3.interface('eth0').stats.rxIgnored;
          const ipBefore = lan.h3.stats.ipReceived;
          const mark = net.frames.length;
          const result = await net.run(lan.h1.ping(ADDR.h2, { count: 1 }));
          ctx.show.text(`h1$ ping -c 1 ${ADDR.h2}\n${result.text()}`);
          const views = viewFrames(net.since(mark));
          ctx.show.sequence(frameSequence(PARTICIPANTS, views, { title: 'The echo request is flooded; the reply is not' }));
          ctx.show.text(macTableText(lan, 'after the reply'));

          ctx.check.equal("the switch's table was empty after 300 s of silence", aged, 0);
          ctx.check.equal("h1 still had h2's MAC: no ARP", views.filter((v) => v.arp !== undefined).length, 0);
          ctx.check.equal('the echo request was flooded to h2 and h3', hops(views.filter(isEchoRequest)), [
            'h1-eth0 -> sw1-p1',
            'sw1-p2 -> h2-eth0',
            'sw1-p3 -> h3-eth0',
          ]);
          ctx.check.equal("...still addressed to h2's MAC on h3's link", views.find((v) => isEchoRequest(v) && v.to === 'h3-eth0')?.ethDst, MAC.h2);
          ctx.check.equal(
            "h3's card dropped it (not its MAC): one frame ignored, no IP packet received",
            [lan.h3.interface('eth0').stats.rxIgnored - ignoredBefore, lan.h3.stats.ipReceived - ipBefore],
            [1, 0],
          );
          ctx.check.equal('the reply went to p1 only (the request had taught the switch h1 again)', hops(views.filter(isEchoReply)), [
            'h2-eth0 -> sw1-p2',
            'sw1-p1 -> h1-eth0',
          ]);
          ctx.check.equal('the table is back to two entries', lan.sw.macTable.size, 2);
        },
      },
      {
        title: 'A gratuitous ARP: a standby host takes over 192.168.1.3',
        explain:
          'h2 goes down (its switch port goes dark, and the switch forgets its MAC). A standby, h4, is plugged into\n' +
          `p4 with h2's address, ${ADDR.h2}, and its own MAC, ${MAC.h4}. As it brings the address up it broadcasts a\n` +
          'gratuitous ARP: a request for its own address (sender = target = 192.168.1.3) that nobody needs to answer.\n' +
          'It tells the switch where the MAC lives, and every host that already has 192.168.1.3 in its ARP table\n' +
          'updates the entry to the new MAC, without asking. This is how a floating IP moves to a standby machine.\n' +
          "h1's next ping reaches h4. h4 has never talked to h1, so it asks ARP for h1 before it can answer.",
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const lan = need(ctx.state.lan, 'the LAN');
          const path = recordStep(ctx, net, 'gratuitous-arp', {
            filter: 'arp.isgratuitous',
            about: 'h4 announces 192.168.1.3 (sender = target): on p4, flooded to h1 and h3 (p2 is down)',
            frames: 3,
            also: [
              { filter: `icmp.type == 8 && eth.dst == ${MAC.h4}`, about: "h1's echo request now goes to h4's MAC", frames: 2 },
              { filter: `eth.dst == ${MAC.h2}`, about: "nothing is sent to h2's old MAC any more", frames: 0 },
            ],
          });
          lan.sw.setPortUp('sw1-p2', false);
          const before = cached(lan.h1, ADDR.h2);
          const mark = net.frames.length;
          const h4 = plugStandby(net, lan.sw);
          await net.wait(10); // the announcement crosses two links in 0.5 ms
          const announced = viewFrames(net.since(mark));
          const after = cached(lan.h1, ADDR.h2);
          ctx.show.table(
            ['', "h1's ARP entry for 192.168.1.3"],
            [
              ['before the announcement', before],
              ['after', after],
            ],
            { title: 'h1 did not ask: the announcement updated its entry' },
          );
          ctx.show.text(macTableText(lan, 'after the announcement'));
          const mark2 = net.frames.length;
          const result = await net.run(lan.h1.ping(ADDR.h2, { count: 1 }));
          ctx.show.text(`h1$ ping -c 1 ${ADDR.h2}\n${result.text()}`);
          const views = viewFrames(net.since(mark2));
          ctx.show.sequence(
            frameSequence(['h1', 'sw1', 'h3', 'h4'], [...announced, ...views], {
              title: 'The announcement, then the ping to the same address, now answered by h4',
            }),
          );
          ctx.show.text(`${arpText(lan.h1, 'after')}\n\n${arpText(lan.h3, 'after')}\n\n${arpText(h4, 'after')}`);

          const g = announced.find((v) => v.arp !== undefined);
          ctx.check.equal(
            'h4 broadcast an ARP request for its own address (sender = target)',
            g?.arp === undefined ? '(nothing)' : `${g.ethDst} op ${g.arp.op} ${g.arp.senderIp} -> ${g.arp.targetIp}`,
            `${MAC.broadcast} op 1 ${ADDR.h2} -> ${ADDR.h2}`,
          );
          ctx.check.equal('the switch flooded it to p1 and p3 (p2 is down)', hops(announced), ['h4-eth0 -> sw1-p4', 'sw1-p1 -> h1-eth0', 'sw1-p3 -> h3-eth0']);
          ctx.check.equal("h1's entry for 192.168.1.3 changed from h2's MAC to h4's", [before, after], [MAC.h2, MAC.h4]);
          ctx.check.equal('h3 had no entry for 192.168.1.3, so it added none (it only updates)', cached(lan.h3, ADDR.h2), '(none)');
          ctx.check.equal('nobody answered the announcement', announced.filter((v) => v.arp?.op === 2).length, 0);
          ctx.check.equal(
            "h1's ping went to h4's MAC, out of p4",
            views.filter(isEchoRequest).map((v) => `${v.ethDst} ${v.from} -> ${v.to}`),
            [`${MAC.h4} h1-eth0 -> sw1-p1`, `${MAC.h4} sw1-p4 -> h4-eth0`],
          );
          ctx.check.equal(
            'h4 asked ARP for h1 before answering (the announcement taught it nothing)',
            arpRequests(views).map((v) => `${v.from} who has ${v.arp?.targetIp}`),
            [`h4-eth0 who has ${ADDR.h1}`, `sw1-p1 who has ${ADDR.h1}`, `sw1-p3 who has ${ADDR.h1}`],
          );
          ctx.check.equal(
            'the reply came from h4',
            result.replies.map((r) => `${r.from} seq ${r.seq}`),
            [`${ADDR.h2} seq 1`],
          );
          ctx.check.equal("nothing went to h2's port", views.filter((v) => v.to === 'h2-eth0').length, 0);
          ctx.state.confirm.push({
            path,
            what: 'the gratuitous ARP on each link',
            fields: ['frame.comment', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.isgratuitous'],
            pick: (r) => r[3] !== '',
            expected: [
              ['h4-sw1: h4-eth0 -> sw1-p4', ADDR.h2, ADDR.h2, '1'],
              ['h1-sw1: sw1-p1 -> h1-eth0', ADDR.h2, ADDR.h2, '1'],
              ['h3-sw1: sw1-p3 -> h3-eth0', ADDR.h2, ADDR.h2, '1'],
            ],
          });
        },
      },
      {
        title: 'MAC addresses end at the edge of the LAN',
        explain:
          `h1 pings ${ADDR.far}. It is not in 192.168.1.0/24 and h1 has no default gateway (this LAN has no router), so\n` +
          "there is no next hop whose MAC ARP could find: ARP only ever asks for addresses on the LAN. h1's own stack\n" +
          'refuses at once, "Network is unreachable", and not one frame leaves. A MAC address names a card on this\n' +
          "wire and nothing beyond it; to reach another network a host hands its frames to a router's MAC (the\n" +
          'routing-and-ttl lab), and from a private address to a public one, a NAT on the way (the nat-pat lab).',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const lan = need(ctx.state.lan, 'the LAN');
          ctx.show.text(`h1$ route -n\n${lan.h1.routeTable()}`);
          const mark = net.frames.length;
          let error = '(no error)';
          try {
            await net.run(lan.h1.ping(ADDR.far, { count: 1 }));
          } catch (e) {
            error = e instanceof NetsimError ? e.code : String(e);
          }
          ctx.show.text(`h1$ ping -c 1 ${ADDR.far}\nping: connect: Network is unreachable   (${error})`);
          ctx.check.equal("h1's stack refused: no route (ENETUNREACH)", error, 'ENETUNREACH');
          ctx.check.equal('not one frame left h1, not even an ARP request', net.since(mark).length, 0);
          ctx.check.equal("h1's routing table has only its own LAN", lan.h1.routeTable().split('\n').length - 1, 1);
        },
      },
      wiresharkStep<State>('tshark reads the captures of this lab: the same MACs and ARP fields, and no malformed packet.'),
    ],
  });
}

export { ARP_TIMEOUT_MS };
export default macAndArpLab();

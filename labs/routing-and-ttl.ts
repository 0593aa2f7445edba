// Lab: routing-and-ttl. Virtual hosts and routers (src/netsim) on tapped in-memory links, on a
// simulated clock: one router between two LANs (the MACs change at the router, the IPs stay; the
// frame to a remote host carries the gateway's MAC), a second router (the TTL goes down by one per
// hop), traceroute through both, and a host that does not exist (ARP gives up, ICMP host unreachable
// comes back; on the sender's own LAN its own stack says so). Every frame on every link is in the
// step's capture, named by its link in the frame comment.

import { ipv4Number } from '../src/netsim/index.ts';
import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import type { AnyLab } from '../src/lab/index.ts';
import { arpReplies, arpRequests, echoReplies, echoRequests, frameSequence } from './netsim/describe.ts';
import { viewFrames, type FrameView } from './netsim/frame-view.ts';
import { LabNet, type LinkFault } from '../src/netsim/index.ts';
import { need, recordStep, wiresharkStep, type Confirm } from './netsim/lab-steps.ts';
import { arpText, HOP_HEAD, hopRows, routeText } from './routing-and-ttl/show.ts';
import { ADDR, MAC, addSecondRouter, buildOneRouter, type OneRouter, type SecondRouter } from './routing-and-ttl/topology.ts';
import { routingExercises } from './routing-and-ttl/exercises.ts';

interface State {
  net?: LabNet;
  one?: OneRouter;
  two?: SecondRouter;
  captures: string[];
  confirm: Confirm[];
}

const uniq = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const macs = (v: FrameView): string => `${v.ethSrc} -> ${v.ethDst}`;
const ips = (v: FrameView): string => (v.ip === undefined ? '(no IPv4)' : `${v.ip.src} -> ${v.ip.dst}`);

/** An operation's promise that may settle while the lab is still looking elsewhere. */
function started<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export interface RoutingLabOptions {
  /** Fault injection on the links (tests use it to show the checkpoints can fail). */
  readonly fault?: LinkFault;
}

export function routingAndTtlLab(options: RoutingLabOptions = {}): AnyLab {
  return defineLab<State>({
    ...LAB_INFO['routing-and-ttl'],
    state: () => ({ captures: [], confirm: [] }),
    exercises: routingExercises,
    steps: [
      {
        title: 'One router between two LANs: the MACs change, the IP addresses stay',
        explain:
          `h1 (${ADDR.h1}/24) is on LAN 1, h2 (${ADDR.h2}/24) on LAN 2, and the router r1 has a leg in each\n` +
          `(${ADDR.r1lan1} and ${ADDR.r1lan2}). h2 is not on h1's network, so h1's routing table sends the packet to\n` +
          `its default gateway ${ADDR.r1lan1}: h1 asks by ARP for the gateway's MAC (never for h2's: h2 is not on\n` +
          'its LAN and could not hear the question) and puts that MAC in the frame. r1 takes the IP packet out of\n' +
          "the frame, lowers its TTL by one, and sends it in a new frame from its own LAN 2 MAC to h2's MAC, which it\n" +
          'asks for by ARP in turn. The IP addresses are the same on both links. h1 pings h2 twice.',
        async run(ctx) {
          const net = new LabNet({ start: ctx.clock.now(), fault: options.fault });
          ctx.state.net = net;
          ctx.onLabEnd(() => net.close());
          const path = recordStep(ctx, net, 'one-router', {
            filter: `eth.src == ${MAC.r1lan2} && ip.src == ${ADDR.h1}`,
            about: "LAN 2: the router's MAC as source, h1's IP as source (the first echo request, then the second)",
            frames: 2,
            also: [
              { filter: 'icmp.type == 8', about: 'the echo requests on both links: compare eth.src, eth.dst and ip.ttl', frames: 4 },
              { filter: 'arp.opcode == 1', about: "h1 asks for its gateway's MAC, r1 asks for h2's", frames: 2 },
              { filter: `eth.dst == ${MAC.h2} && ip.src == ${ADDR.h1}`, about: "the only frames that carry h2's MAC: on LAN 2", frames: 2 },
            ],
          });
          const one = buildOneRouter(net);
          ctx.state.one = one;
          const { h1, r1, h2 } = one;
          ctx.show.text(`${routeText(h1)}\n\n${routeText(r1)}`);
          ctx.show.text(arpText(h1, 'before the ping'));
          const mark = net.frames.length;
          const result = await net.run(h1.ping(ADDR.h2, { count: 2, intervalMs: 1000 }));
          ctx.show.text(`h1$ ping -c 2 ${ADDR.h2}\n${result.text()}`);
          const views = viewFrames(net.since(mark));
          const first = views.filter((v) => v.icmp?.seq !== 2);
          ctx.show.sequence(
            frameSequence(['h1', 'r1', 'h2'], first, { title: `The first ping, frame by frame (simulated time; each link takes ${net.delayMs} ms)` }),
          );
          const request = echoRequests(views, 1);
          ctx.show.table([...HOP_HEAD], hopRows(request), { title: 'The first echo request on each link' });
          ctx.show.text(`${arpText(h1, 'after')}\n\n${arpText(r1, 'after')}\n\n${arpText(h2, 'after')}`);

          const h1Asked = arpRequests(views, 'h1-eth0').map((v) => v.arp?.targetIp);
          ctx.check.equal("h1 asked ARP for its gateway's MAC only, never for h2's", h1Asked, [ADDR.r1lan1]);
          ctx.check.equal(
            'the echo request crossed lan1, then lan2',
            request.map((v) => v.link),
            ['lan1', 'lan2'],
          );
          const [near, far] = request;
          if (near === undefined || far === undefined) return;
          ctx.check.equal("on lan1 the frame goes to the gateway's MAC, not to h2's", macs(near), `${MAC.h1} -> ${MAC.r1lan1}`);
          ctx.check.equal("on lan2 the frame comes from the router's MAC (its lan2 leg) to h2's", macs(far), `${MAC.r1lan2} -> ${MAC.h2}`);
          ctx.check.equal('the IP source and destination are the same on both sides of the router', ips(far), ips(near));
          ctx.check.equal('the TTL went down by one at the router (64 on lan1, 63 on lan2)', [near.ip?.ttl, far.ip?.ttl], [64, 63]);
          ctx.check.equal('the IP identification did not change (the router forwards the same packet)', far.ip?.id, near.ip?.id);
          const h1Cache = h1.interface('eth0').cache;
          ctx.check.equal("h1's ARP table knows the gateway's MAC...", h1Cache.lookup(ipv4Number(ADDR.r1lan1)) !== undefined, true);
          ctx.check.equal('...and has no entry for h2 (a MAC works only inside its own LAN)', h1Cache.lookup(ipv4Number(ADDR.h2)) === undefined, true);
          ctx.check.equal(
            'both pings got a reply, with ttl=63 (h2 sent 64; r1 took one)',
            result.replies.map((r) => `seq ${r.seq} ttl ${r.ttl}`),
            ['seq 1 ttl 63', 'seq 2 ttl 63'],
          );
          const [rtt1, rtt2] = result.replies.map((r) => r.rttMs);
          ctx.check.equal('the second ping takes four link crossings (4 x 0.25 ms)', rtt2, 4 * net.delayMs);
          ctx.check.equal('the first took two ARP round trips longer (one per LAN)', (rtt1 ?? 0) - (rtt2 ?? 0), 4 * net.delayMs);
          ctx.state.confirm.push({
            path,
            what: 'the first echo request on each link',
            fields: ['frame.comment', 'eth.src', 'eth.dst', 'ip.src', 'ip.ttl', 'icmp.type', 'icmp.seq'],
            pick: (r) => r[5] === '8' && r[6] === '1',
            expected: [
              ['lan1: h1-eth0 -> r1-eth0', MAC.h1, MAC.r1lan1, ADDR.h1, '64', '8', '1'],
              ['lan2: r1-eth1 -> h2-eth0', MAC.r1lan2, MAC.h2, ADDR.h1, '63', '8', '1'],
            ],
          });
        },
      },
      {
        title: 'A second router: the TTL goes down by one at every hop',
        explain:
          `r1 gets a third leg, a point-to-point core link (10.0.0.0/30) to a second router r2, and behind r2 a third\n` +
          `LAN with h3 (${ADDR.h3}). r1 learns a static route: 192.168.3.0/24 via ${ADDR.r2core}; r2's default route\n` +
          `points back at r1. h1 pings h3: the request leaves h1 with TTL 64, r1 forwards it with 63, r2 with 62.\n` +
          'Each router rewrites both MACs of the frame and recomputes the IPv4 header checksum (the TTL is in the\n' +
          'header); the IP addresses stay. h3 answers with TTL 64, and h1 sees the reply with 62.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const { h1, r1 } = need(ctx.state.one, 'h1 and r1');
          const path = recordStep(ctx, net, 'two-routers', {
            filter: `ip.src == ${ADDR.h1} && icmp.type == 8`,
            about: 'the same echo request on lan1, core and lan3: ip.ttl 64, 63, 62',
            frames: 3,
            also: [
              { filter: 'ip.ttl == 62', about: 'after two routers: the request on lan3, the reply on lan1', frames: 2 },
              { filter: `eth.src == ${MAC.r2lan3} && ip.src == ${ADDR.h1}`, about: "lan3: r2's MAC, still h1's IP", frames: 1 },
            ],
          });
          const two = addSecondRouter(net, r1);
          ctx.state.two = two;
          ctx.show.text(`${routeText(r1)}\n\n${routeText(two.r2)}\n\n${routeText(two.h3)}`);
          const mark = net.frames.length;
          const result = await net.run(h1.ping(ADDR.h3, { count: 1 }));
          ctx.show.text(`h1$ ping -c 1 ${ADDR.h3}\n${result.text()}`);
          const views = viewFrames(net.since(mark));
          ctx.show.sequence(
            frameSequence(['h1', 'r1', 'r2', 'h3'], views, {
              title: 'h1 pings h3 through two routers (r1 and r2 ask ARP on the links they have not used yet)',
            }),
          );
          const request = echoRequests(views, 1);
          const reply = echoReplies(views, 1);
          ctx.show.table([...HOP_HEAD], hopRows([...request, ...reply]), { title: 'The echo request, then the reply, on each link' });
          ctx.show.text(`${arpText(r1, 'after')}\n\n${arpText(two.r2, 'after')}`);

          ctx.check.equal(
            'the request crossed lan1, core, lan3',
            request.map((v) => v.link),
            ['lan1', 'core', 'lan3'],
          );
          ctx.check.equal(
            'its TTL went down by one per hop',
            request.map((v) => v.ip?.ttl),
            [64, 63, 62],
          );
          ctx.check.equal(
            'the reply crossed lan3, core, lan1, its TTL going down the same way',
            reply.map((v) => `${v.link} ${v.ip?.ttl}`),
            ['lan3 64', 'core 63', 'lan1 62'],
          );
          ctx.check.equal('each hop has its own pair of MACs', request.map(macs), [
            `${MAC.h1} -> ${MAC.r1lan1}`,
            `${MAC.r1core} -> ${MAC.r2core}`,
            `${MAC.r2lan3} -> ${MAC.h3}`,
          ]);
          ctx.check.equal('the IP addresses are the same on every hop', uniq(request.map(ips)), [`${ADDR.h1} -> ${ADDR.h3}`]);
          ctx.check.equal(
            'the IPv4 header checksum verifies on every hop',
            request.map((v) => v.ip?.checksumStatus),
            ['good', 'good', 'good'],
          );
          ctx.check.equal('...and is different on every hop (the TTL is in the header)', uniq(request.map((v) => v.ip?.checksum)).length, 3);
          ctx.check.equal(
            'ping shows ttl=62: h3 sent 64, two routers took one each',
            result.replies.map((r) => r.ttl),
            [62],
          );
          ctx.state.confirm.push({
            path,
            what: 'the echo request on each link',
            fields: ['frame.comment', 'eth.src', 'ip.src', 'ip.dst', 'ip.ttl', 'icmp.type'],
            pick: (r) => r[5] === '8',
            expected: [
              ['lan1: h1-eth0 -> r1-eth0', MAC.h1, ADDR.h1, ADDR.h3, '64', '8'],
              ['core: r1-eth2 -> r2-eth0', MAC.r1core, ADDR.h1, ADDR.h3, '63', '8'],
              ['lan3: r2-eth1 -> h3-eth0', MAC.r2lan3, ADDR.h1, ADDR.h3, '62', '8'],
            ],
          });
        },
      },
      {
        title: 'traceroute through two routers',
        explain:
          'traceroute sends UDP probes to unlikely ports (33434 and up), three with TTL 1, three with TTL 2, and so\n' +
          "on. The router where a probe's TTL runs out drops it and answers ICMP time exceeded (type 11) from the\n" +
          'address of its interface toward the sender, which names the hop: r1 as 192.168.1.1, r2 as 10.0.0.2 (not\n' +
          '192.168.3.1: that is the leg away from us). The probes with TTL 3 reach h3, where nothing listens on the\n' +
          'port: its ICMP port unreachable (type 3, code 3) ends the trace. Each hop is one more link each way, so\n' +
          'its time grows by 0.5 ms.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const { h1 } = need(ctx.state.one, 'h1');
          const path = recordStep(ctx, net, 'traceroute', {
            filter: 'icmp.type == 11',
            about: 'time exceeded: 3 from r1 on lan1, 3 from r2 on core and again on lan1',
            frames: 9,
            also: [
              { filter: `icmp.type == 11 && ip.src == ${ADDR.r2core}`, about: "hop 2 answers from r2's core address", frames: 6 },
              { filter: 'icmp.type == 3 && icmp.code == 3', about: 'the destination: port unreachable, on lan3, core and lan1', frames: 9 },
              { filter: '!icmp && ip.ttl == 1', about: 'each probe on its last link, with TTL 1', frames: 9 },
            ],
          });
          const mark = net.frames.length;
          const trace = await net.run(h1.traceroute(ADDR.h3));
          ctx.show.text(`h1$ traceroute -n ${ADDR.h3}\n${trace.text()}`);
          const views = viewFrames(net.since(mark));
          const firstProbes = new Set([33434, 33437, 33440]);
          const shown = views.filter(
            (v) =>
              (v.icmp === undefined && v.udp !== undefined && firstProbes.has(v.udp.dstPort)) ||
              (v.quoted?.dstPort !== undefined && firstProbes.has(v.quoted.dstPort)),
          );
          ctx.show.sequence(frameSequence(['h1', 'r1', 'r2', 'h3'], shown, { title: 'The first probe of each hop and its answer' }));

          const hopFrom = trace.hops.map((h) => uniq(h.probes.map((p) => p.from ?? '*')).join(','));
          ctx.check.equal('the hops are r1, r2, then h3', hopFrom, [ADDR.r1lan1, ADDR.r2core, ADDR.h3]);
          ctx.check.equal(
            'routers answer time exceeded (11/0), h3 port unreachable (3/3)',
            trace.hops.map((h) => uniq(h.probes.map((p) => `${p.icmpType}/${p.icmpCode}`)).join(',')),
            ['11/0', '11/0', '3/3'],
          );
          ctx.check.equal('the trace reached h3', trace.reached, true);
          ctx.check.equal(
            'each hop is one more link each way (0.5 ms more)',
            trace.hops.map((h) => h.probes[0]?.rttMs),
            [2, 4, 6].map((n) => n * net.delayMs),
          );
          const sent = views.filter((v) => v.link === 'lan1' && v.icmp === undefined && v.udp !== undefined);
          ctx.check.equal(
            'h1 sent nine probes, TTL 1,1,1,2,2,2,3,3,3',
            sent.map((v) => v.ip?.ttl),
            [1, 1, 1, 2, 2, 2, 3, 3, 3],
          );
          ctx.check.equal(
            '...to ports 33434 to 33442, one per probe',
            sent.map((v) => v.udp?.dstPort),
            [33434, 33435, 33436, 33437, 33438, 33439, 33440, 33441, 33442],
          );
          const exceeded = views.filter((v) => v.icmp?.type === 11);
          ctx.check.equal('every time exceeded quotes the probe as it arrived, with TTL 1', uniq(exceeded.map((v) => v.quoted?.ttl)), [1]);
          ctx.state.confirm.push({
            path,
            what: 'who sends time exceeded, on which link',
            fields: ['frame.comment', 'ip.src', 'icmp.type'],
            pick: (r) => r[2] === '11' && r[0].startsWith('lan1') && r[1].startsWith(ADDR.r1lan1),
            expected: [0, 1, 2].map(() => ['lan1: r1-eth0 -> h1-eth0', `${ADDR.r1lan1},${ADDR.h1}`, '11']),
          });
        },
      },
      {
        title: 'A host that does not exist: ARP gives up, ICMP host unreachable comes back',
        explain:
          `h1 pings ${ADDR.ghost}: r2 has a route (lan3 is its own network), so it asks by ARP who has that address.\n` +
          'Nobody answers. r2 holds the packet in its ARP queue, asks again after 1 s and after 2 s, and after the\n' +
          'third unanswered request (3 s) it drops the packet and sends ICMP destination unreachable, code 1 (host\n' +
          `unreachable), back to the sender, from ${ADDR.r2core}, its address toward h1. ping prints it as\n` +
          '"Destination Host Unreachable". The echo request itself never appears on lan3: without a MAC there is no\n' +
          'frame to put it in.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const { h1 } = need(ctx.state.one, 'h1');
          const { r2 } = need(ctx.state.two, 'r2');
          recordStep(ctx, net, 'no-such-host', {
            filter: `arp.opcode == 1 && arp.dst.proto_ipv4 == ${ADDR.ghost}`,
            about: 'r2 asks three times, one second apart; nobody answers',
            frames: 3,
            also: [
              { filter: 'icmp.type == 3 && icmp.code == 1', about: 'host unreachable from r2, on core and lan1', frames: 2 },
              { filter: 'icmp.type == 8 && !(icmp.type == 3)', about: 'the echo request itself: on lan1 and core, never on lan3', frames: 2 },
              { filter: 'icmp.type == 8', about: 'also the copy quoted inside each host unreachable (Wireshark looks inside the quote)', frames: 4 },
            ],
          });
          ctx.show.text(routeText(r2));
          const mark = net.frames.length;
          const pinging = started(h1.ping(ADDR.ghost, { count: 1, timeoutMs: 5000 }));
          await net.runUntil(() => arpRequests(viewFrames(net.since(mark)), 'r2-eth1').length > 0, 10_000, 'r2 has not asked ARP');
          const waiting = r2.arpTable();
          ctx.show.text(arpText(r2, 'while r2 waits for an answer'));
          const result = await net.run(pinging);
          ctx.show.text(`h1$ ping -c 1 -W 5 ${ADDR.ghost}\n${result.text()}`);
          const views = viewFrames(net.since(mark));
          ctx.show.sequence(frameSequence(['h1', 'r1', 'r2', 'h3'], views, { title: 'Three ARP requests into silence, then the error goes back' }));
          ctx.show.text(arpText(r2, 'after it gave up'));

          ctx.check.match(
            "while it waits, r2's ARP table holds an incomplete entry",
            waiting.split('\n').find((l) => l.startsWith(ADDR.ghost)) ?? '(no line)',
            /\(incomplete\).*incomplete, try 1\/3/,
          );
          const asks = arpRequests(views, 'r2-eth1').filter((v) => v.arp?.targetIp === ADDR.ghost);
          ctx.check.equal('r2 sent three ARP requests for it', asks.length, 3);
          ctx.check.equal(
            '...one second apart',
            asks.slice(1).map((v, i) => v.atMs - asks[i].atMs),
            [1000, 1000],
          );
          ctx.check.equal('nobody answered', arpReplies(views).filter((v) => v.arp?.senderIp === ADDR.ghost).length, 0);
          ctx.check.equal('the echo request never reached lan3', views.filter((v) => v.link === 'lan3' && v.ip !== undefined).length, 0);
          const errors = views.filter((v) => v.icmp?.type === 3 && v.icmp.code === 1);
          ctx.check.equal(
            'ICMP host unreachable went back over core and lan1',
            errors.map((v) => v.link),
            ['core', 'lan1'],
          );
          ctx.check.equal("...from r2's address toward h1, to h1", uniq(errors.map(ips)), [`${ADDR.r2core} -> ${ADDR.h1}`]);
          ctx.check.equal(
            "...quoting h1's echo request to the missing host",
            uniq(errors.map((v) => (v.quoted === undefined ? '(nothing quoted)' : `${v.quoted.src} -> ${v.quoted.dst}`))),
            [`${ADDR.h1} -> ${ADDR.ghost}`],
          );
          const sentAt = echoRequests(views, 1).find((v) => v.link === 'lan1')?.atMs ?? NaN;
          const backAt = errors.find((v) => v.link === 'lan1')?.atMs ?? NaN;
          ctx.check.between('the answer took about three seconds (three tries, 1 s apart)', backAt - sentAt, 3000, 3001, 'ms');
          ctx.check.equal(
            'ping prints it, and counts no reply',
            [...result.errors.map((e) => `From ${e.from} icmp_seq=${e.seq} ${e.message}`), `${result.stats.received} received`],
            [`From ${ADDR.r2core} icmp_seq=1 Destination Host Unreachable`, '0 received'],
          );
          ctx.check.equal('r2 keeps no ARP entry for it', r2.arpTable().includes(ADDR.ghost), false);
        },
      },
      {
        title: 'On your own LAN nobody sends the ICMP: your own stack does',
        explain:
          `h1 pings ${ADDR.ghostNear}, on its own LAN. There is no router in the way: h1 itself asks ARP, three times,\n` +
          'and when nobody answers, h1\'s own stack reports "Destination Host Unreachable" to ping, from h1\'s own\n' +
          'address (Linux does the same). No ICMP crosses any link, and no echo request either.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const { h1 } = need(ctx.state.one, 'h1');
          recordStep(ctx, net, 'no-such-neighbour', {
            filter: `arp.dst.proto_ipv4 == ${ADDR.ghostNear}`,
            about: 'h1 itself asks three times; there is nothing else in this capture',
            frames: 3,
            also: [{ filter: `arp.src.hw_mac == ${MAC.h1}`, about: 'all from h1', frames: 3 }],
          });
          const mark = net.frames.length;
          const result = await net.run(h1.ping(ADDR.ghostNear, { count: 1, timeoutMs: 5000 }));
          ctx.show.text(`h1$ ping -c 1 -W 5 ${ADDR.ghostNear}\n${result.text()}`);
          const views = viewFrames(net.since(mark));
          ctx.check.equal(
            'h1 sent three ARP requests for it, and that is all that crossed a link',
            views.map((v) => `${v.from} ARP who has ${v.arp?.targetIp ?? '-'}`),
            [0, 1, 2].map(() => `h1-eth0 ARP who has ${ADDR.ghostNear}`),
          );
          ctx.check.equal(
            "ping hears Destination Host Unreachable from h1's own address",
            result.errors.map((e) => `From ${e.from} icmp_seq=${e.seq} ${e.message}`),
            [`From ${ADDR.h1} icmp_seq=1 Destination Host Unreachable`],
          );
        },
      },
      wiresharkStep<State>('tshark reads the captures of this lab: the same MACs, addresses and TTLs, and no malformed packet.'),
    ],
  });
}

export default routingAndTtlLab();

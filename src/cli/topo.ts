// `netlab topo check FILE` and `netlab topo run FILE`: a virtual network from a topology file
// (src/netsim/topology-spec.ts), started with VXLAN links on loopback (or in memory), every link
// tapped into a pcapng (--tap) and/or shown live to Wireshark (--live, through `netlab extcap`), then
// pings and traceroutes run from its hosts, and the tables printed.
//
//   netlab topo run topologies/two-lans.json --ping h1:10.0.2.30 --traceroute h1:10.0.2.30 --tap out/net.pcapng

import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { parseTopology, switchLoops, TopologyError, type TopologySpec } from '../netsim/topology-spec.ts';
import { Topology, memoryLinks, type LinkFactory } from '../netsim/topology.ts';
import { NetTap } from '../netsim/tap.ts';
import { LiveFeed } from '../netsim/live-feed.ts';
import { interfaceName } from '../netsim/live-registry.ts';
import { NetsimError } from '../netsim/host-errors.ts';
import { loopbackVxlanLinks } from '../netsim/vxlan-links.ts';
import { CliError, checkNumberOption, checkWritableFile } from './io.ts';

/** Reads and checks a topology file; errors name the file and the key. */
export function loadTopology(path: string): TopologySpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the topology file ${path}: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
  try {
    return parseTopology(text, path);
  } catch (e) {
    if (e instanceof TopologyError) throw new CliError(e.key === path ? e.message : `${path}: ${e.message}`, 1);
    throw e;
  }
}

/** `h1:10.0.2.30` (or, for ping, `h1:fe80::1%eth0`) as a host name and a destination. */
export function parseProbe(text: string, option: string): { host: string; dst: string; ipv6: boolean } {
  const m = /^([A-Za-z][A-Za-z0-9_.-]*):(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (m !== null) return { host: m[1], dst: m[2], ipv6: false };
  const m6 = /^([A-Za-z][A-Za-z0-9_.-]*):([0-9a-fA-F:]+%[A-Za-z0-9_.-]+)$/.exec(text);
  if (m6 !== null && option === 'ping') return { host: m6[1], dst: m6[2], ipv6: true };
  throw new CliError(`--${option} ${text}: write HOST:ADDRESS, e.g. h1:10.0.2.30${option === 'ping' ? ' or h1:fe80::ff:fe00:120%eth0' : ''}`, 1);
}

/** One line per node and link, for `topo check`. */
export function describeTopology(spec: TopologySpec): string {
  const lines = [
    `topology ${spec.name}: ${spec.hosts.length} host(s), ${spec.routers.length} router(s), ${spec.switches.length} switch(es), ${spec.links.length} link(s) (${spec.linkType})`,
  ];
  for (const n of [...spec.hosts, ...spec.routers]) {
    const kind = spec.routers.includes(n) ? 'router' : 'host';
    lines.push(
      `  ${kind} ${n.name}: ${n.interfaces.map((f) => `${f.name} ${f.address} on ${f.link}`).join(', ')}${n.gateway === undefined ? '' : `, gateway ${n.gateway}`}`,
    );
  }
  for (const s of spec.switches)
    lines.push(
      `  switch ${s.name}${s.stp !== undefined && s.stp !== false ? ' (spanning tree)' : ''}: ${s.ports.map((p) => `${p.name} on ${p.link}${p.trunk === undefined ? (p.vlan === undefined ? '' : ` (VLAN ${p.vlan})`) : ` (trunk ${p.trunk.join(',')})`}`).join(', ')}`,
    );
  for (const loop of switchLoops(spec)) {
    const around = `${loop.switches.join(' - ')}${loop.switches.length > 1 ? ` - ${loop.switches[0]}` : ''} (links ${loop.links.join(', ')})`;
    lines.push(
      loop.stp
        ? `  loop: ${around}; spanning tree will block one port of it`
        : `  warning: loop ${around} without spanning tree on every switch: each broadcast circles forever (a broadcast storm, capped only by the switches' queues); add "stp": true to these switches`,
    );
  }
  return lines.join('\n');
}

interface RunArgs {
  file: string;
  ping: string[];
  traceroute: string[];
  tap?: string;
  live: boolean;
  hold: number;
  links?: 'memory' | 'vxlan';
}

async function run(a: RunArgs): Promise<void> {
  const spec = loadTopology(a.file);
  if (a.tap !== undefined) checkWritableFile('--tap', a.tap);
  const pings = a.ping.map((p) => parseProbe(p, 'ping'));
  const traces = a.traceroute.map((p) => parseProbe(p, 'traceroute'));
  const kind = a.links ?? spec.linkType;
  const vxlan = kind === 'vxlan' ? loopbackVxlanLinks() : undefined;
  const factory: LinkFactory = vxlan ?? memoryLinks;
  const feed = a.live ? new LiveFeed({ topology: spec.name }) : undefined;
  const tap =
    a.tap !== undefined
      ? NetTap.toFile(a.tap, { live: feed, comment: `netlab topology ${spec.name}` })
      : feed !== undefined
        ? NetTap.liveOnly(feed)
        : undefined;
  let topo: Topology | undefined;
  try {
    topo = await Topology.fromSpec({ ...spec, linkType: kind }, { links: factory, tap });
    for (const p of [...pings, ...traces]) topo.host(p.host); // names checked before anything runs
    if (feed !== undefined) {
      await feed.start();
      process.stdout.write(`Live in Wireshark (netlab extcap): ${[...topo.links.keys()].map((l) => interfaceName(spec.name, l)).join(', ')}\n`);
    }
    process.stdout.write(`${describeTopology(spec)}\n\n${topo.formatLinks()}\n`);
    if (vxlan !== undefined)
      process.stdout.write(
        `VTEPs (on lo, Wireshark decodes port 4789 as VXLAN: vxlan && ip.addr == ADDRESS): ${[...vxlan.vteps].map(([node, v]) => `${node} ${v.endpoint}`).join(', ')}\n`,
      );
    process.stdout.write('\n');
    // Spanning tree: ports forward only after listening and learning (2 x forward delay); wait for it.
    const stpDelay = Math.max(
      0,
      ...spec.switches.map((s) => (s.stp === undefined || s.stp === false ? 0 : 2 * ((s.stp === true ? undefined : s.stp.forwardDelaySeconds) ?? 15) + 1)),
    );
    if (stpDelay > 0 && pings.length + traces.length > 0) {
      process.stdout.write(`Waiting ${stpDelay} s for spanning tree (listening, then learning, one forward delay each)...\n`);
      await new Promise((r) => setTimeout(r, stpDelay * 1000));
    }
    if (a.hold > 0) {
      process.stdout.write(`Holding for ${a.hold} s before the probes (attach Wireshark now)...\n`);
      await new Promise((r) => setTimeout(r, a.hold * 1000));
    }
    for (const p of pings) {
      process.stdout.write(`${p.host}$ ping${p.ipv6 ? ' -6' : ''} -c 3 ${p.dst}\n`);
      try {
        const h = topo.host(p.host);
        const options = { count: 3, intervalMs: 200, timeoutMs: 4000 };
        const r = await (p.ipv6 ? h.ping6(p.dst, options) : h.ping(p.dst, options));
        process.stdout.write(`${r.text()}\n\n`);
      } catch (e) {
        process.stdout.write(`${e instanceof NetsimError ? `ping: ${e.reason}` : String(e)}\n\n`);
      }
    }
    for (const p of traces) {
      process.stdout.write(`${p.host}$ traceroute -n ${p.dst}\n`);
      try {
        const r = await topo.host(p.host).traceroute(p.dst, { timeoutMs: 1000 });
        process.stdout.write(`${r.text()}\n\n`);
      } catch (e) {
        process.stdout.write(`${e instanceof NetsimError ? `traceroute: ${e.reason}` : String(e)}\n\n`);
      }
    }
    process.stdout.write(`${topo.formatTables()}\n\n${topo.formatLinks()}\n`);
    if (a.tap !== undefined)
      process.stdout.write(
        `\ncapture: ${a.tap}  (${tap?.frames ?? 0} frames; one interface per link: wireshark -r ${a.tap} -Y 'frame.interface_name == "${[...topo.links.keys()][0] ?? ''}"')\n`,
      );
  } catch (e) {
    if (e instanceof RangeError || e instanceof NetsimError) throw new CliError(e.message, 1);
    throw e;
  } finally {
    await topo?.close();
    await vxlan?.close();
    await tap?.close();
    await feed?.close();
  }
}

export function registerTopo(y: Argv): Argv {
  const check: CommandModule<object, { file: string }> = {
    command: 'check <file>',
    describe: 'Check a topology file and list its nodes and links',
    builder: (b) => b.positional('file', { type: 'string', demandOption: true, describe: 'topology file (JSON)' }) as Argv<{ file: string }>,
    handler: (a) => {
      process.stdout.write(`${describeTopology(loadTopology(a.file))}\n`);
    },
  };
  const runCmd: CommandModule<object, RunArgs> = {
    command: 'run <file>',
    describe: 'Start a topology (VXLAN over loopback), run pings and traceroutes, print the tables',
    builder: (b) =>
      b
        .positional('file', { type: 'string', demandOption: true, describe: 'topology file (JSON)' })
        .option('ping', { type: 'string', array: true, default: [], describe: 'HOST:ADDRESS, ping -c 3 from that host (repeatable)' })
        .option('traceroute', { type: 'string', array: true, default: [], describe: 'HOST:ADDRESS, traceroute from that host (repeatable)' })
        .option('tap', { type: 'string', describe: 'write every link into this pcapng (one interface per link)' })
        .option('live', { type: 'boolean', default: false, describe: 'show the links to Wireshark live (netlab extcap install first)' })
        .option('hold', { type: 'number', default: 0, describe: 'seconds to wait before the probes (to attach Wireshark)' })
        .option('links', { choices: ['memory', 'vxlan'] as const, describe: "override the file's linkType" }) as unknown as Argv<RunArgs>,
    handler: async (a) => {
      checkNumberOption('--hold', a.hold, { min: 0, max: 3600, unit: 'seconds' });
      await run(a);
    },
  };
  return y.command('topo', 'Virtual networks from a topology file (check, run)', (b) =>
    b.command(check).command(runCmd).demandCommand(1, 'Name a topo command: check or run.'),
  );
}

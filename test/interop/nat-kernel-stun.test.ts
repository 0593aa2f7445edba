// The Linux kernel as the reference NAT: three test-made namespaces (inside 10.73.1.2 -> router
// 10.73.1.1 / 10.74.0.100 -> outside 10.74.0.1 and 10.74.0.2), nftables `masquerade` (then
// `masquerade random`) on the router's outside veth, netlab's STUN server beyond and netlab's STUN
// client behind, as separate processes in their namespaces. The kernel's behaviour as the client
// classifies it must equal what the same client finds through netlab's socket-mode relay set to the
// behaviour Linux documents (masquerade keeps the source port and lets in only the exact reply tuple:
// endpoint-independent mapping, address-and-port-dependent filtering; `random` draws a port per
// connection: address-and-port-dependent mapping); `conntrack -L` is printed beside netlab's table.
// The namespaces are deleted afterwards, pass or fail.

import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketRelay } from '../../src/nat/socket-relay.ts';
import { StunClient } from '../../src/nat/stun/client.ts';
import { StunServer } from '../../src/nat/stun/server.ts';
import { dgramNetwork } from '../../src/nat/stun/transport.ts';
import type { NatBehaviour, PortAllocation } from '../../src/nat/types.ts';
import { requireRoot, requireTool } from '../helpers/tools.ts';

const PREFIX = 'netlab-stun';
const NS = { inside: `${PREFIX}-i${process.pid}`, nat: `${PREFIX}-r${process.pid}`, outside: `${PREFIX}-o${process.pid}` };
const CHILD = join(import.meta.dirname, 'stun-ns-child.ts');

const run = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
const ip = (...args: string[]): string => run('ip', ...args);
const inNs = (ns: string, cmd: string, ...args: string[]): string => run('ip', 'netns', 'exec', ns, cmd, ...args);

function deleteNamespaces(all: boolean): void {
  let list = '';
  try {
    list = ip('netns', 'list');
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    if (name === '' || !name.startsWith(PREFIX)) continue;
    if (!all && !Object.values(NS).includes(name)) continue;
    try {
      ip('netns', 'del', name);
    } catch {
      // gone already
    }
  }
}

interface Verdict {
  mapping: string;
  filtering: string;
  hairpinning: boolean;
  mapped: { address: string; port: number };
}

/** Runs netlab's STUN client in the inside namespace against the server. */
function classifyInside(serverPort: number): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NS.inside, process.execPath, '--import', 'tsx', CHILD, 'client', '10.73.1.2', '10.74.0.1', String(serverPort)]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim()) as Verdict);
      else reject(new Error(`STUN client in ${NS.inside} exited ${code}: ${err}`));
    });
  });
}

/** The same client through netlab's socket-mode relay (127.73/127.74 on the host). */
async function classifyRelay(mapping: NatBehaviour, allocation: PortAllocation, pub: string): Promise<{ verdict: Verdict; table: string }> {
  const relay = await SocketRelay.start({
    inside: '127.73.0.0/16',
    publicAddress: pub,
    mirrors: [
      { outside: '127.74.2.1', inside: '127.73.253.1' },
      { outside: '127.74.2.2', inside: '127.73.253.2' },
    ],
    mapping,
    filtering: 'address-and-port-dependent',
    // Linux masquerade: keep the source port when the tuple is free; `random`: a random port every time.
    ports: allocation === 'random' ? { preserve: false, allocation: 'random', parity: false, min: 1024, max: 65535 } : { preserve: true },
    hairpinning: false,
  });
  const net = dgramNetwork();
  const srv = await StunServer.start(net, { primary: '127.74.2.1', alternate: '127.74.2.2', advertise: (a) => relay.aliasOf(a) ?? a });
  try {
    for (const e of srv.endpoints) await relay.mirror(e.address, e.port);
    const r = await new StunClient(net, { local: '127.73.0.50', server: { address: '127.73.253.1', port: srv.primary.port }, rtoMs: 50 }).classify();
    return { verdict: r, table: relay.format() };
  } finally {
    await srv.close();
    await relay.close();
  }
}

const canRun = requireRoot('the kernel NAT test (network namespaces, nftables)') && requireTool('ip') && requireTool('nft') && requireTool('conntrack');

describe.skipIf(!canRun)('Linux nftables masquerade classified by netlab STUN, beside netlab relay', () => {
  let server: ReturnType<typeof spawn> | undefined;
  let serverPort = 0;

  beforeAll(async () => {
    deleteNamespaces(true);
    for (const ns of Object.values(NS)) ip('netns', 'add', ns);
    ip('link', 'add', 'vi', 'netns', NS.inside, 'type', 'veth', 'peer', 'name', 'vri', 'netns', NS.nat);
    ip('link', 'add', 'vo', 'netns', NS.outside, 'type', 'veth', 'peer', 'name', 'vro', 'netns', NS.nat);
    ip('-n', NS.inside, 'addr', 'add', '10.73.1.2/24', 'dev', 'vi');
    ip('-n', NS.nat, 'addr', 'add', '10.73.1.1/24', 'dev', 'vri');
    ip('-n', NS.nat, 'addr', 'add', '10.74.0.100/24', 'dev', 'vro');
    ip('-n', NS.outside, 'addr', 'add', '10.74.0.1/24', 'dev', 'vo');
    ip('-n', NS.outside, 'addr', 'add', '10.74.0.2/24', 'dev', 'vo');
    for (const [ns, dev] of [
      [NS.inside, 'vi'],
      [NS.nat, 'vri'],
      [NS.nat, 'vro'],
      [NS.outside, 'vo'],
    ]) {
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    for (const ns of Object.values(NS)) ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', NS.inside, 'route', 'add', 'default', 'via', '10.73.1.1');
    inNs(NS.nat, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    const s = spawn('ip', ['netns', 'exec', NS.outside, process.execPath, '--import', 'tsx', CHILD, 'server', '10.74.0.1', '10.74.0.2']);
    server = s;
    const first = await createInterface({ input: s.stdout })[Symbol.asyncIterator]().next();
    serverPort = (JSON.parse(String(first.value)) as { port: number }).port;
  }, 60_000);

  afterAll(async () => {
    if (server !== undefined) {
      const exited = new Promise((res) => server?.once('close', res));
      server.stdin?.end();
      await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
      server.kill();
    }
    deleteNamespaces(false);
  });

  function masquerade(random: boolean): void {
    try {
      inNs(NS.nat, 'nft', 'delete', 'table', 'ip', 'netlab');
    } catch {
      // first time
    }
    inNs(NS.nat, 'conntrack', '-F');
    inNs(NS.nat, 'nft', 'add', 'table', 'ip', 'netlab');
    inNs(NS.nat, 'nft', 'add', 'chain', 'ip', 'netlab', 'post', '{ type nat hook postrouting priority srcnat; }');
    inNs(NS.nat, 'nft', 'add', 'rule', 'ip', 'netlab', 'post', 'oifname', 'vro', 'masquerade', ...(random ? ['random'] : []));
  }

  it.each([
    { rule: 'masquerade', random: false, mapping: 'endpoint-independent' as const, allocation: 'sequential' as const },
    { rule: 'masquerade random', random: true, mapping: 'address-and-port-dependent' as const, allocation: 'random' as const },
  ])(
    '$rule: the kernel and netlab relay ($mapping mapping) classify alike',
    async ({ random, mapping, allocation }) => {
      masquerade(random);
      const kernel = await classifyInside(serverPort);
      const conntrack = inNs(NS.nat, 'conntrack', '-L', '-p', 'udp');
      const ours = await classifyRelay(mapping, allocation, random ? '127.74.0.141' : '127.74.0.140');
      console.log(
        `nftables masquerade${random ? ' random' : ''}: ${kernel.mapping} / ${kernel.filtering} / hairpin ${kernel.hairpinning}\n` +
          `conntrack -L -p udp:\n${conntrack}\nnetlab relay (${mapping}, APDF, ${allocation}): ${ours.verdict.mapping} / ${ours.verdict.filtering} / hairpin ${ours.verdict.hairpinning}\n${ours.table}`,
      );
      expect(kernel.mapped.address).toBe('10.74.0.100');
      expect(conntrack).toMatch(/src=10\.73\.1\.2 dst=10\.74\.0\.1 /);
      expect(conntrack).toMatch(/dst=10\.74\.0\.100 /);
      expect({ mapping: kernel.mapping, filtering: kernel.filtering, hairpinning: kernel.hairpinning }).toEqual({
        mapping: ours.verdict.mapping,
        filtering: ours.verdict.filtering,
        hairpinning: ours.verdict.hairpinning,
      });
      expect(kernel.mapping).toBe(mapping);
    },
    60_000,
  );
});

// One side of the kernel NAT test (nat-kernel-stun.test.ts), run inside a test-made namespace with
// `ip netns exec NS node --import tsx stun-ns-child.ts ROLE ...`:
//   server PRIMARY ALTERNATE        netlab's STUN server; prints {"port":P} once up, closes when stdin ends;
//   client LOCAL SERVER PORT        netlab's STUN client; prints the classification as one JSON line.

import { StunClient } from '../../src/nat/stun/client.ts';
import { StunServer } from '../../src/nat/stun/server.ts';
import { dgramNetwork } from '../../src/nat/stun/transport.ts';

async function main(role: string | undefined, args: string[]): Promise<void> {
  const net = dgramNetwork();
  if (role === 'server') {
    const srv = await StunServer.start(net, { primary: args[0], alternate: args[1] });
    process.stdout.write(`${JSON.stringify({ port: srv.primary.port })}\n`);
    process.stdin.resume();
    await new Promise<void>((res) => process.stdin.once('end', () => res()));
    await srv.close();
    return;
  }
  if (role === 'client') {
    const c = new StunClient(net, { local: args[0], server: { address: args[1], port: Number(args[2]) }, rtoMs: 100 });
    const r = await c.classify();
    process.stdout.write(
      `${JSON.stringify({ mapping: r.mapping, filtering: r.filtering, hairpinning: r.hairpinning, local: r.local, mapped: r.mapped, tests: r.tests })}\n`,
    );
    return;
  }
  throw new Error(`stun-ns-child: role must be server or client, got ${String(role)}`);
}

main(process.argv[2], process.argv.slice(3)).catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

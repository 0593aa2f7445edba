// Run inside the BIND test's network namespace (`ip netns exec NS node --import tsx THIS PORT NAME TYPE...`):
// resolves each NAME/TYPE pair with netlab's resolver from the root at 127.53.1.1:PORT and prints JSON.

import { Resolver } from '../../src/dns/resolver.ts';
import { SocketTransport } from '../../src/dns/transport.ts';
import { recordText } from '../../src/wire/dns-text.ts';
import { dnsTypeNumber } from '../../src/wire/dns-types.ts';

const [portText, ...pairs] = process.argv.slice(2);
const port = Number(portText);
const resolver = new Resolver({
  rootHints: [{ name: 'a.root-servers.test', address: '127.53.1.1', port }],
  port,
  transport: new SocketTransport({ timeoutMs: 2000 }),
});
const out: unknown[] = [];
for (let i = 0; i + 1 < pairs.length; i += 2) {
  const r = await resolver.resolve(pairs[i], dnsTypeNumber(pairs[i + 1]) ?? 1);
  out.push({
    rcode: r.rcode,
    answers: r.answers.map(recordText),
    authority: r.authority.map((a) => a.type),
    servers: r.events.flatMap((e) => (e.kind === 'query' ? [e.server.address] : [])),
  });
}
process.stdout.write(JSON.stringify(out));

import { loadConfigFile, describeConfig, parseConfig } from './src/proxy/config.ts';
for (const [f, k] of [['examples/proxy/l7-basic.yaml', 'proxy'], ['examples/proxy/l7-hashing.yaml', 'proxy'], ['examples/proxy/l4-tcp-udp.yaml', 'l4']] as const) {
  try { console.log(describeConfig(loadConfigFile(f, k).config)); } catch (e) { console.log(String((e as Error).message)); }
}
const bad = `listeners:
  - name: web
    address: 127.0.0.1
    port: 8080
    bogus: 1
routes:
  - name: r
    cluster: nope
clusters:
  - name: app
    endpoints: [{ address: 127.0.0.1, port: 9001, weight: 0 }]
    policy: roundrobin
  - name: app2
    endpoints: [{ address: 127.0.0.1, port: 70000 }]
    policy: { name: ring_hash, tableSize: 12 }
`;
try { parseConfig(bad, { source: 'bad.yaml' }); } catch (e) { console.log((e as Error).message); }

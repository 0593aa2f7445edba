// The proxy/L4 configuration file: good files round-trip, and each bad file is reported with the key
// path, what was expected and the line and column, in YAML and in JSON.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { errorCode } from '../../src/base/errors.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Balancer, OutlierDetector } from '../../src/balance/index.ts';
import {
  clusterBalancerOptions,
  clusterEndpoints,
  clusterHashKey,
  clusterHealthCheck,
  clusterRetries,
  clusterSticky,
  clusterOutlier,
  clusterPolicy,
  ConfigError,
  describeConfig,
  isCidr,
  isHostPattern,
  loadConfigFile,
  parseConfig,
  parseL4Config,
  parseProxyConfig,
} from '../../src/proxy/config.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'netlab-proxy-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, got none');
}

function basic0() {
  return loadConfigFile(join(ROOT, 'examples/proxy/l7-basic.yaml')).config.clusters[0];
}

describe('good configurations', () => {
  it('the examples load, with defaults filled in', () => {
    const { config } = loadConfigFile(join(ROOT, 'examples/proxy/l7-basic.yaml'), 'proxy');
    expect(config.listeners[0]).toMatchObject({ name: 'web', mode: 'http', protocols: ['http/1.1', 'http/1.0'] });
    expect(config.routes.map((r) => r.name)).toEqual(['healthz', 'old-api', 'canary', 'api', 'users', 'everything-else']);
    const app = config.clusters[0];
    expect(app.policy).toEqual({ name: 'least_connections' });
    expect(app.healthCheck).toEqual({
      type: 'http',
      path: '/health',
      expectStatus: [200],
      expectBody: '"status":"UP"',
      intervalMs: 2000,
      timeoutMs: 1000,
      fall: 3,
      rise: 2,
    });
    expect(app.retries?.retryOn).toEqual(['connect_failure', 'reset', '502', '503', '504']);
    expect(app.outlierDetection).toEqual({
      consecutive5xx: 5,
      consecutiveConnectFailures: 5,
      baseEjectionMs: 30000,
      maxEjectionMs: 300000,
      maxEjectionPercent: 50,
      decayIntervalMs: 10000,
    });
    expect(config.clusters[1].timeouts).toEqual({ connectMs: 5000, headerMs: 15000, idleMs: 60000, streamIdleMs: 300000, tunnelIdleMs: 300000 });
    expect(config.trustedProxies).toEqual(['127.0.0.0/8', '::1']);
    const hashing = loadConfigFile(join(ROOT, 'examples/proxy/l7-hashing.yaml'), 'proxy').config;
    expect(hashing.clusters[1].endpoints).toEqual(hashing.clusters[0].endpoints); // the YAML alias
    const l4 = loadConfigFile(join(ROOT, 'examples/proxy/l4-tcp-udp.yaml'), 'l4').config;
    expect(l4.listeners.map((l) => [l.mode, l.cluster ?? null])).toEqual([
      ['tcp', 'app'],
      ['tcp', null],
      ['udp', 'resolvers'],
    ]);
  });

  it('round trip: the checked config written back as YAML and as JSON reads the same', () => {
    for (const f of ['l7-basic.yaml', 'l7-hashing.yaml', 'l4-tcp-udp.yaml']) {
      const first = loadConfigFile(join(ROOT, 'examples/proxy', f)).config;
      expect(parseConfig(stringify(first))).toEqual(first);
      expect(parseConfig(JSON.stringify(first, null, 2))).toEqual(first);
    }
  });

  it('maps onto the balancing layer: a Balancer, a HealthChecker and an OutlierDetector build from it', () => {
    const { config } = loadConfigFile(join(ROOT, 'examples/proxy/l7-hashing.yaml'));
    const ring = config.clusters[0];
    expect(clusterPolicy(ring)).toEqual({ name: 'ring_hash', virtualNodes: 160, hash: 'fnv1a64' });
    const b = new Balancer({ ...clusterBalancerOptions(ring), clock: new ManualClock(), random: seededRandom('c') });
    expect(b.policy.name).toBe('ring_hash');
    expect(clusterBalancerOptions(basic0())).toMatchObject({ failOpen: false, outlier: { consecutive5xx: 5, maxEjectionPercent: 50 } });
    expect(b.pick({ hashKey: 'user-1' }).endpoint?.name).toMatch(/^cache[1-4]$/);
    const basic = loadConfigFile(join(ROOT, 'examples/proxy/l7-basic.yaml')).config;
    expect(clusterHealthCheck(basic.clusters[0])).toEqual({ intervalMs: 2000, timeoutMs: 1000, fall: 3, rise: 2 });
    expect(new OutlierDetector(clusterOutlier(basic.clusters[0])).maxEjectionPercent).toBe(50);
    expect(clusterHashKey(ring)).toEqual({ from: 'header', name: 'X-User' });
    expect(clusterHashKey(basic.clusters[0])).toEqual({ from: 'client_address' });
    expect(clusterSticky(basic.clusters[0])).toEqual({ mode: 'cookie', name: 'LBSESSIONID', maxEntries: 10000, idleMs: 1800000, drainingKeepsSticky: false });
    expect(clusterRetries(basic.clusters[0])).toEqual({
      attempts: 2,
      retryOn: ['connect_failure', 'reset', '502', '503', '504'],
      nonIdempotent: false,
      backoff: { baseMs: 25, maxMs: 250 },
      budgetPercent: 20,
      minConcurrent: 3,
    });
    expect(clusterRetries(basic.clusters[1])).toBeUndefined();
    expect(clusterEndpoints(basic.clusters[1])).toEqual([{ name: '127.0.0.1:9101', address: '127.0.0.1', port: 9101, weight: 1 }]);
  });

  it('describes a config in a few lines', () => {
    const text = describeConfig(loadConfigFile(join(ROOT, 'examples/proxy/l4-tcp-udp.yaml')).config);
    expect(text).toContain('3 listener(s), 0 route(s), 3 cluster(s)');
    expect(text).toContain('listener tls-passthrough: tcp on 127.0.0.1:7443, SNI a.netlab.test -> app, *.b.netlab.test -> other');
    expect(text).toContain('listener dns: udp on 127.0.0.1:5300 -> resolvers (datagram)');
  });

  it('resolves certificate paths against the file and checks they exist', () => {
    writeFileSync(join(dir, 'server.crt'), 'x');
    writeFileSync(join(dir, 'server.key'), 'x');
    const yaml = (ca: string): string => `listeners:
  - name: tls
    address: 127.0.0.1
    port: 8443
    tls: { cert: server.crt, key: server.key }
routes:
  - { name: all, cluster: app }
clusters:
  - name: app
    endpoints: [{ address: 127.0.0.1, port: 9443 }]
    tls: { ca: ${ca}, serverName: app.netlab.test }
`;
    writeFileSync(join(dir, 'good.yaml'), yaml('server.crt'));
    const { config } = loadConfigFile(join(dir, 'good.yaml'));
    expect(config.listeners[0].tls?.cert).toBe(join(dir, 'server.crt'));
    expect(config.clusters[0].tls?.ca).toBe(join(dir, 'server.crt'));
    writeFileSync(join(dir, 'missing.yaml'), yaml('ca/missing.crt'));
    const err = errorOf(() => loadConfigFile(join(dir, 'missing.yaml')));
    expect(err.message).toBe(`${join(dir, 'missing.yaml')}: clusters[0].tls.ca: file not found: ${join(dir, 'ca/missing.crt')} at line 11 col 16`);
    expect(errorOf(() => loadConfigFile(join(dir, 'nope.yaml'))).message).toMatch(/nope\.yaml: \(file\): cannot read it: ENOENT/);
  });
});

const HEAD = `listeners:
  - name: web
    address: 127.0.0.1
    port: 8080
routes:
  - name: all
    cluster: app
clusters:
  - name: app
    endpoints:
      - { name: s1, address: 127.0.0.1, port: 9001 }
`;

/** Each bad file and the one message it must produce (key path, expectation, line and column). */
const BAD: [string, string, string][] = [
  [
    'unknown policy',
    `${HEAD}    policy: roundrobin\n`,
    'clusters[0].policy: expected one of round_robin, weighted_round_robin, least_connections, weighted_least_connections, ip_hash, least_time, ring_hash, maglev, power_of_two, peak_ewma, random, got "roundrobin" at line 12 col 13',
  ],
  [
    'unknown policy in the long form',
    `${HEAD}    policy: { name: fastest }\n`,
    'clusters[0].policy.name: expected one of round_robin, weighted_round_robin, least_connections, weighted_least_connections, ip_hash, least_time, ring_hash, maglev, power_of_two, peak_ewma, random, got "fastest" at line 12 col 21',
  ],
  ['weight 0', HEAD.replace('port: 9001 }', 'port: 9001, weight: 0 }'), 'clusters[0].endpoints[0].weight: expected a weight > 0, got 0 at line 11 col 61'],
  [
    'negative weight',
    HEAD.replace('port: 9001 }', 'port: 9001, weight: -2 }'),
    'clusters[0].endpoints[0].weight: expected a weight > 0, got -2 at line 11 col 61',
  ],
  ['port out of range', HEAD.replace('port: 9001', 'port: 70000'), 'clusters[0].endpoints[0].port: expected a number <= 65535, got 70000 at line 11 col 47'],
  ['port as text', HEAD.replace('port: 8080', 'port: "8080"'), 'listeners[0].port: expected a number, got "8080" at line 4 col 11'],
  ['unknown key', HEAD.replace('    port: 8080\n', '    port: 8080\n    prot: http\n'), 'listeners[0].prot: unknown key at line 5 col 5'],
  ['missing address', HEAD.replace('    address: 127.0.0.1\n', ''), 'listeners[0].address: missing (expected text) at line 2 col 5'],
  [
    'no clusters',
    'listeners: [{ name: web, address: 127.0.0.1, port: 80 }]\nclusters: []\nroutes: [{ name: r, respond: { status: 200 } }]\n',
    'clusters: expected at least one cluster, got 0 items at line 2 col 11',
  ],
  ['route to an unknown cluster', HEAD.replace('cluster: app', 'cluster: api'), 'routes[0].cluster: unknown cluster "api" (clusters: app) at line 7 col 14'],
  [
    'duplicate cluster',
    `${HEAD}  - name: app\n    endpoints: [{ address: 127.0.0.1, port: 9002 }]\n`,
    'clusters[1].name: cluster name "app" is already used by clusters[0] at line 12 col 11',
  ],
  [
    'duplicate endpoint',
    `${HEAD}      - { name: s1, address: 127.0.0.1, port: 9002 }\n`,
    'clusters[0].endpoints[1].name: endpoint "s1" appears twice in cluster app (first at endpoints[0]) at line 12 col 17',
  ],
  [
    'duplicate listener port',
    HEAD.replace('routes:', '  - { name: web2, address: 127.0.0.1, port: 8080 }\nroutes:'),
    'listeners[1].port: tcp 127.0.0.1:8080 is already used by listeners[0] at line 5 col 45',
  ],
  [
    'invalid path regex',
    HEAD.replace('    cluster: app\n', '    match: { path: { regex: "^/users/(" } }\n    cluster: app\n'),
    'routes[0].match.path.regex: invalid regex: Invalid regular expression: /^/users/(/: Unterminated group at line 7 col 29',
  ],
  [
    'invalid header regex',
    HEAD.replace('    cluster: app\n', '    match:\n      headers:\n        - { name: X-A, regex: "[a-" }\n    cluster: app\n'),
    'routes[0].match.headers[0].regex: invalid regex: Invalid regular expression: /[a-/: Unterminated character class at line 9 col 31',
  ],
  [
    'two path kinds',
    HEAD.replace('    cluster: app\n', '    match: { path: { prefix: /a, exact: /a } }\n    cluster: app\n'),
    'routes[0].match.path: expected exactly one of prefix, exact, regex; got prefix and exact at line 7 col 20',
  ],
  [
    'no action',
    HEAD.replace('    cluster: app\n', '    match: { method: GET }\n'),
    'routes[0]: expected exactly one of cluster, redirect, respond; got none at line 6 col 5',
  ],
  [
    'two actions',
    HEAD.replace('    cluster: app\n', '    cluster: app\n    respond: { status: 204 }\n'),
    'routes[0]: expected exactly one of cluster, redirect, respond; got cluster and respond at line 6 col 5',
  ],
  [
    'bad host pattern',
    HEAD.replace('    cluster: app\n', '    match: { host: "api.*.test" }\n    cluster: app\n'),
    'routes[0].match.host: expected a host name, *.domain or *, got "api.*.test" at line 7 col 20',
  ],
  [
    'bad method',
    HEAD.replace('    cluster: app\n', '    match: { method: [GET, "PO ST"] }\n    cluster: app\n'),
    'routes[0].match.method[1]: expected an HTTP method token, got "PO ST" at line 7 col 28',
  ],
  [
    'bad redirect status',
    HEAD.replace('    cluster: app\n', '    redirect: { status: 305, scheme: https }\n'),
    'routes[0].redirect.status: expected one of 301, 302, 303, 307, 308, got 305 at line 7 col 25',
  ],
  [
    'prefix rewrite without a prefix match',
    HEAD.replace('    cluster: app\n', '    rewrite: { prefix: /v1/ }\n    cluster: app\n'),
    'routes[0].rewrite.prefix: rewriting the prefix needs match.path.prefix (the prefix to replace) at line 7 col 24',
  ],
  [
    'option of another policy',
    `${HEAD}    policy: { name: round_robin, virtualNodes: 100 }\n`,
    'clusters[0].policy.virtualNodes: virtualNodes is an option of ring_hash, not of round_robin at line 12 col 48',
  ],
  [
    'maglev table not prime',
    `${HEAD}    policy: { name: maglev, tableSize: 65536 }\n`,
    'clusters[0].policy.tableSize: expected a prime number (65537, 251, ...), got 65536 at line 12 col 40',
  ],
  [
    'bad hashOn',
    `${HEAD}    policy: { name: ring_hash, hashOn: "header:" }\n`,
    'clusters[0].policy.hashOn: expected client_address, path, header:NAME, cookie:NAME or query:NAME, got "header:" at line 12 col 40',
  ],
  ['health fall 0', `${HEAD}    healthCheck: { fall: 0 }\n`, 'clusters[0].healthCheck.fall: expected a number >= 1, got 0 at line 12 col 26'],
  [
    'sticky app cookie without a name',
    `${HEAD}    sticky: { mode: app_cookie }\n`,
    'clusters[0].sticky.name: missing (sticky mode app_cookie needs the cookie name, e.g. PHPSESSID) at line 12 col 13',
  ],
  [
    'retry-on unknown',
    `${HEAD}    retries: { retryOn: [connect_failure, 500] }\n`,
    'clusters[0].retries.retryOn[1]: expected one of connect_failure, reset, timeout, 5xx, 502, 503, 504, got 500 at line 12 col 43',
  ],
  [
    'ejection cap below base',
    `${HEAD}    outlierDetection: { baseEjectionMs: 60000, maxEjectionMs: 1000 }\n`,
    'clusters[0].outlierDetection.maxEjectionMs: expected at least baseEjectionMs (60000), got 1000 at line 12 col 63',
  ],
  [
    'bad trusted proxy',
    `${HEAD}trustedProxies: [10.0.0.0/33]\n`,
    'trustedProxies[0]: expected an address or CIDR prefix (10.0.0.0/8, ::1/128), got "10.0.0.0/33" at line 12 col 18',
  ],
  ['bad access log format', `${HEAD}accessLog: { format: apache }\n`, 'accessLog.format: expected one of combined, json, got "apache" at line 12 col 22'],
  [
    'bad endpoint address',
    HEAD.replace('address: 127.0.0.1, port: 9001', 'address: "127.0.0.1:9001", port: 9001'),
    'clusters[0].endpoints[0].address: expected an IP address or a host name, got "127.0.0.1:9001" at line 11 col 30',
  ],
  [
    'a list where a mapping goes',
    HEAD.replace('    cluster: app\n', '    match: [1]\n    cluster: app\n'),
    'routes[0].match: expected a mapping (key: value), got a list at line 7 col 12',
  ],
  ['YAML syntax', 'listeners:\n  - name: web\n   address: 127.0.0.1\n', '(syntax): Sequence item without - indicator at line 3 col 1'],
  ['duplicate key', 'listeners: []\nlisteners: []\n', '(syntax): Map keys must be unique at line 2 col 1'],
  ['empty file', '', '(top level): the file is empty (expected listeners, routes and clusters)'],
];

describe('bad configurations name the key, what was expected and where', () => {
  for (const [what, text, message] of BAD) {
    it(what, () => {
      const err = errorOf(() => parseConfig(text));
      expect(errorCode(err)).toBe('ERR_CONFIG');
      expect(err.message.split('\n')[0]).toBe(message);
    });
  }

  it('every problem of a file is listed, in file order, each line starting with the file name', () => {
    const text = `${HEAD.replace('port: 8080', 'port: -1').replace('cluster: app', 'cluster: 7')}    policy: nope\n`;
    const err = errorOf(() => parseConfig(text, { source: 'proxy.yaml' }));
    expect(err.issues.map((i) => [i.path, i.line])).toEqual([
      ['listeners[0].port', 4],
      ['routes[0].cluster', 7],
      ['clusters[0].policy', 12],
    ]);
    expect(err.message.split('\n').every((l) => l.startsWith('proxy.yaml: '))).toBe(true);
  });

  it('JSON files are read by the same parser, with positions', () => {
    const json = JSON.stringify(
      {
        listeners: [{ name: 'web', address: '127.0.0.1', port: 8080 }],
        routes: [{ name: 'r', cluster: 'app' }],
        clusters: [{ name: 'app', policy: 'leastconn', endpoints: [{ address: '127.0.0.1', port: 9001 }] }],
      },
      null,
      2,
    );
    const err = errorOf(() => parseConfig(json));
    expect(err.message).toMatch(/^clusters\[0\]\.policy: expected one of round_robin, .*, got "leastconn" at line 18 col 17$/);
  });
});

describe('proxy and L4 kinds', () => {
  const L4 = `listeners:
  - { name: t, address: 127.0.0.1, port: 7000, mode: tcp, cluster: app }
clusters:
  - name: app
    endpoints: [{ address: 127.0.0.1, port: 9001 }]
`;

  it('an L4 file is a valid L4 config and not a proxy config', () => {
    expect(parseL4Config(L4).listeners[0].mode).toBe('tcp');
    expect(errorOf(() => parseProxyConfig(L4)).message).toBe(
      'listeners[0].mode: expected http in a proxy configuration, got tcp (tcp and udp listeners belong to the L4 balancer) at line 2 col 54',
    );
    expect(errorOf(() => parseL4Config(HEAD)).message.split('\n')).toEqual(
      [
        'routes: an L4 configuration has no HTTP routes (each tcp/udp listener names its cluster) at line 6 col 3',
        'listeners[0].mode: expected tcp or udp in an L4 configuration, got http (write mode: tcp or mode: udp) at line 2 col 5',
      ].sort((a, b) => Number(/line (\d+)/.exec(a)?.[1]) - Number(/line (\d+)/.exec(b)?.[1])),
    );
  });

  it('L4 cross-checks: a cluster is needed, SNI clusters must exist, tcp does not terminate TLS', () => {
    expect(errorOf(() => parseL4Config(L4.replace(', cluster: app', ''))).message).toBe(
      'listeners[0].cluster: missing (a tcp listener needs the cluster its traffic goes to) at line 2 col 5',
    );
    expect(errorOf(() => parseL4Config(L4.replace('cluster: app }', 'sni: [{ host: a.test, cluster: b }], noSni: close }'))).message).toBe(
      'listeners[0].sni[0].cluster: unknown cluster "b" (clusters: app) at line 2 col 90',
    );
    expect(errorOf(() => parseL4Config(L4.replace('mode: tcp,', 'mode: tcp, tls: { cert: a, key: b },'))).message).toMatch(
      /^listeners\[0\]\.tls: a tcp listener does not terminate TLS .* at line 2 col 64$/,
    );
    expect(errorOf(() => parseL4Config(L4.replace('mode: tcp', 'mode: sctp'))).message).toBe(
      'listeners[0].mode: expected one of http, tcp, udp, forward, got "sctp" at line 2 col 54',
    );
  });
});

describe('address helpers', () => {
  it('host patterns and CIDRs', () => {
    expect(['*', '*.netlab.test', 'api.netlab.test', '127.0.0.1'].every(isHostPattern)).toBe(true);
    expect(['api.*', '*.', '**.a', 'a..b', ''].some(isHostPattern)).toBe(false);
    expect(['10.0.0.0/8', '::1/128', '127.0.0.1', 'fe80::/10'].every(isCidr)).toBe(true);
    expect(['10.0.0.0/33', '::/129', '10.0.0/8', 'x/8', '10.0.0.0/'].some(isCidr)).toBe(false);
  });
});

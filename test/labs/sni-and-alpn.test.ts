// The sni-and-alpn lab: a --check run passes and writes its captures with their key logs; tshark reads
// SNI, the certificates and the ALPN answers with no options; a certificate that also covers a name
// the listener should not serve makes the "not served here" checkpoint fail; a fixture run writes
// nothing; the CLI's last line.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/sni-and-alpn.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import type { CertificateAuthority, Leaf } from '../../src/tls/index.ts';
import { labHarness, tsharkRows, labCli } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const { temp, run } = labHarness('sni-lab');
const tshark = tsharkRows;

describe('lab sni-and-alpn, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint and prints the final count', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(requireTool('tshark') ? 24 : 19);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes two captures with their key logs', () => {
    expect(readdirSync(join(r.out, 'sni-and-alpn')).sort()).toEqual(['alpn.keys', 'alpn.pcapng', 'sni.keys', 'sni.pcapng']);
  });

  it.skipIf(!requireTool('tshark'))('every filter printed beside a capture selects frames in tshark (netlab checks only the tcp.* ones for now)', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.length).toBeGreaterThan(0);
    for (const c of captures) {
      for (const f of c.filters) expect(tshark(c.absolutePath, f.filter, ['frame.number']).length, `${f.filter} on ${c.path}`).toBeGreaterThan(0);
    }
  });

  it.skipIf(!requireTool('tshark'))('tshark, with no options: two names on one port, h2 and http/1.1 in EncryptedExtensions, HTTP/2 inside', () => {
    const sni = join(r.out, 'sni-and-alpn', 'sni.pcapng');
    const hellos = tshark(sni, 'tls.handshake.type == 1', ['tls.handshake.extensions_server_name', 'tcp.dstport']);
    expect(hellos.map((h) => h[0])).toEqual(['shop.netlab.test', 'blog.netlab.test']);
    expect(new Set(hellos.map((h) => h[1])).size).toBe(1);
    const alpn = join(r.out, 'sni-and-alpn', 'alpn.pcapng');
    expect(tshark(alpn, 'tls.handshake.type == 8', ['frame.number'])).toHaveLength(3);
    expect(tshark(alpn, 'tls.handshake.type == 8 && tls.handshake.extensions_alpn_str', ['tls.handshake.extensions_alpn_str'])).toEqual([['h2'], ['http/1.1']]);
    expect(tshark(alpn, 'http2.headers.authority', ['http2.headers.authority'])).toEqual([['shop.netlab.test']]);
    expect(tshark(alpn, 'http.request', ['http.request.uri'])).toEqual([['/cart'], ['/cart']]);
  });
});

describe('lab sni-and-alpn, a checkpoint that fails', () => {
  it('a default certificate that also names www.netlab.test lets that client in: the failure checkpoint says so', async () => {
    const widen: Step<unknown> = {
      title: "shop's certificate also names www",
      explain: '',
      run(ctx) {
        const state = ctx.state as { pki?: { issuing: CertificateAuthority }; shop?: Leaf };
        if (state.pki === undefined) throw new Error('no PKI');
        state.shop = state.pki.issuing.issueServer({ dns: ['shop.netlab.test', 'www.netlab.test'] });
      },
    };
    const broken: AnyLab = { ...lab, steps: [lab.steps[0], widen, lab.steps[2]] };
    const r = await run(broken);
    expect(r.summary.failed, r.text).toBe(2);
    expect(r.text.replace(/\s+/g, ' ')).toMatch(
      /FAIL asks for www\.netlab\.test \(not served here\): refused: connected \(expected ERR_TLS_CERT_ALTNAME_INVALID\)/,
    );
    expect(r.text.replace(/\s+/g, ' ')).toMatch(/FAIL without SNI and for an unknown name the listener sends its default certificate \(shop's\)/);
  }, 60_000);
});

describe('lab sni-and-alpn, deterministic (fixtures)', () => {
  it('runs every checkpoint and writes nothing into the fixtures folder', async () => {
    const r = await run(lab, { deterministic: true });
    expect(r.summary.failed, r.text).toBe(0);
    expect(readdirSync(r.out)).toEqual([]);
  }, 60_000);
});

describe('netlab lab run sni-and-alpn --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('sni-and-alpn', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 60_000);
});

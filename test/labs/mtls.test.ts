// The mtls lab: a --check run passes and writes its three captures with their key logs; tshark finds the
// CertificateRequest and both certificates in the decrypted handshake with no options; a client
// certificate that lacks a name the lab expects makes its checkpoint fail; a fixture run writes nothing;
// the CLI's last line.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/mtls.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { validFor, type CertificateAuthority, type Leaf } from '../../src/tls/index.ts';
import { labHarness, tsharkRows, labCli } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const { temp, run } = labHarness('mtls-lab');
const tshark = tsharkRows;

describe('lab mtls, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint and prints the final count', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(requireTool('tshark') ? 30 : 24);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes three captures, each with its key log file', () => {
    expect(readdirSync(join(r.out, 'mtls')).sort()).toEqual([
      'mtls-handshake.keys',
      'mtls-handshake.pcapng',
      'mtls-refused.keys',
      'mtls-refused.pcapng',
      'mtls-rotation.keys',
      'mtls-rotation.pcapng',
    ]);
  });

  it.skipIf(!requireTool('tshark'))('every filter printed beside a capture selects frames in tshark (netlab checks only the tcp.* ones for now)', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.length).toBeGreaterThan(0);
    for (const c of captures) {
      for (const f of c.filters) expect(tshark(c.absolutePath, f.filter, ['frame.number']).length, `${f.filter} on ${c.path}`).toBeGreaterThan(0);
    }
  });

  it.skipIf(!requireTool('tshark'))("tshark, with no options: CertificateRequest in the server's flight, two certificates each way", () => {
    const cap = join(r.out, 'mtls', 'mtls-handshake.pcapng');
    // How the flights are cut into segments varies; the messages and their order do not.
    const types = tshark(cap, 'tls.handshake', ['tls.handshake.type']).flatMap((f) => f[0].split(','));
    expect(types.slice(0, 10)).toEqual(['1', '2', '8', '13', '11', '15', '20', '11', '15', '20']);
    const certs = tshark(cap, 'tls.handshake.type == 11', ['tls.handshake.certificate_length']);
    expect(certs.map((f) => f[0].split(',').length)).toEqual([2, 2]);
    expect(tshark(cap, 'http.request', ['http.request.uri'])).toEqual([['/orders']]);
    const refused = join(r.out, 'mtls', 'mtls-refused.pcapng');
    // The client with no certificate answered the CertificateRequest with an empty Certificate.
    expect(tshark(refused, 'tls.handshake.type == 11 && tls.handshake.certificates_length == 0', ['frame.number'])).toHaveLength(1);
    expect(tshark(refused, 'tcp.flags.reset == 1', ['frame.number'])).toHaveLength(5);
  });
});

describe('lab mtls, a checkpoint that fails', () => {
  it('a serviceB certificate without its SPIFFE ID is let in, but the identity checkpoint fails', async () => {
    const swap: Step<unknown> = {
      title: 'serviceB loses its SPIFFE ID',
      explain: '',
      run(ctx) {
        const state = ctx.state as { pki?: { issuing: CertificateAuthority }; serviceB?: Leaf };
        if (state.pki === undefined) throw new Error('no PKI');
        const name = 'serviceB.default.svc.cluster.local';
        state.serviceB = state.pki.issuing.issueClient({ commonName: name, dns: [name], validity: validFor(1) });
      },
    };
    const broken: AnyLab = { ...lab, steps: [lab.steps[0], swap, lab.steps[1]] };
    const r = await run(broken);
    expect(r.summary.failed).toBe(1);
    expect(r.text.replace(/\s+/g, ' ')).toMatch(/FAIL serviceA sees serviceB's certificate, verified: true, DNS:serviceB\.default\.svc\.cluster\.local/);
  }, 60_000);
});

describe('lab mtls, deterministic (fixtures)', () => {
  it('runs every checkpoint and writes nothing into the fixtures folder', async () => {
    const r = await run(lab, { deterministic: true });
    expect(r.summary.failed, r.text).toBe(0);
    expect(readdirSync(r.out)).toEqual([]);
  }, 60_000);
});

describe('netlab lab run mtls --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('mtls', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 60_000);
});

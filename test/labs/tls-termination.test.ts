// The tls-termination lab: one --check run passes (netlab's proxy terminating TLS with a certificate
// from the lab's PKI, real backends plain and HTTPS on 127.71.1.x); the capture has the client side as
// TLS only and the backend side as HTTP, tshark decrypts the client side with the key log file given
// by -o tls.keylog_file; every printed filter counts as the lab says; a proxy that trusted every
// client's X-Forwarded-For makes the checkpoints fail; a fixture run writes nothing.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/tls-termination.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { labHarness, tsharkCounts, tsharkRows } from './harness.ts';

const { run } = labHarness('tls-term-lab');

describe('lab tls-termination, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 90_000);

  it('passes every checkpoint and both exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(requireTool('tshark') ? 30 : 28);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes the capture and its key log (SSLKEYLOGFILE lines), and no private key', () => {
    const dir = join(r.out, 'tls-termination');
    expect(readdirSync(dir).sort()).toEqual(['termination.keys', 'termination.pcapng']);
    const keys = readFileSync(join(dir, 'termination.keys'), 'utf8').trim().split('\n');
    expect(keys.length).toBeGreaterThanOrEqual(10);
    for (const l of keys)
      expect(l).toMatch(/^(CLIENT|SERVER)_(HANDSHAKE_)?TRAFFIC_SECRET(_0)? [0-9a-f]{64} [0-9a-f]{64,96}$|^EXPORTER_SECRET [0-9a-f]{64} [0-9a-f]{64,96}$/);
  });

  it.skipIf(!requireTool('tshark'))('tshark: nothing malformed, every printed filter selects the frames the lab says', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures).toHaveLength(1);
    for (const c of captures) {
      const [malformed, ...counts] = tsharkCounts(c.absolutePath, ['_ws.malformed', ...c.filters.map((f) => f.filter)]);
      expect(malformed, c.path).toBe(0);
      c.filters.forEach((f, i) => {
        if (typeof f.frames === 'number') expect(counts[i], `${f.filter} on ${c.path}`).toBe(f.frames);
        else expect(counts[i], `${f.filter} on ${c.path}`).toBeGreaterThan(0);
      });
    }
  });

  it.skipIf(!requireTool('tshark'))('tshark: the client side is TLS records only without the key log; with it, the same HTTP as the backend side', () => {
    const dir = join(r.out, 'tls-termination');
    const pcap = join(dir, 'termination.pcapng');
    const keys = [`tls.keylog_file:${join(dir, 'termination.keys')}`];
    const [plainHttp, tlsFrames] = tsharkCounts(pcap, ['http.request', 'tls']);
    const [decryptedHttp] = tsharkCounts(pcap, ['http.request'], keys);
    expect(plainHttp).toBe(2);
    expect(tlsFrames).toBeGreaterThan(4);
    expect(decryptedHttp).toBe(4);
    const both = tsharkRows(pcap, 'http.request.uri contains "id=2"', ['ip.src', 'ip.dst', 'http.x_forwarded_for']);
    expect(both).toEqual([['127.0.0.1', '127.71.1.11', '127.71.1.21']]);
  });
});

describe('lab tls-termination, a checkpoint that fails', () => {
  it('a proxy that trusts every client as a proxy passes the forged X-Forwarded-For on: the checkpoints say so', async () => {
    const trustAll: Step<unknown> = {
      title: 'trust every client',
      explain: '',
      run(ctx) {
        (ctx.state as { trustedProxies?: string[] }).trustedProxies = ['127.0.0.0/8'];
      },
    };
    const broken: AnyLab = { ...lab, exercises: [], steps: [trustAll, lab.steps[0] as Step<unknown>] };
    const res = await run(broken);
    const text = res.text.replace(/\s+/g, ' ');
    expect(text).toMatch(/FAIL X-Forwarded-For: the client's address, 127\.71\.1\.21 \(the forged 203\.0\.113\.9 dropped\)/);
    expect(text).toMatch(/FAIL X-Forwarded-Proto: https/);
  }, 60_000);
});

describe('lab tls-termination, deterministic (fixtures)', () => {
  it('runs the upstream-TLS step and writes nothing into the fixtures folder', async () => {
    const only: AnyLab = { ...lab, exercises: [], steps: [lab.steps[1] as Step<unknown>] };
    const res = await run(only, { deterministic: true });
    expect(res.summary.failed, res.text).toBe(0);
    expect(readdirSync(res.out)).toEqual([]);
  }, 60_000);
});

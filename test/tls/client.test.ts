// The TLS client's view of the server certificate after tlsConnect: Node 20 gives a client socket's
// peer certificate to the first getPeerX509Certificate() call only (and getPeerCertificate() finds
// nothing after it); tlsConnect reads it once and answers every call, for TLS 1.3 and 1.2, tapped or
// not. Checked beside what a plain Node client sees on the same server.

import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { tlsConnect } from '../../src/tls/client.ts';
import { TlsLabServer } from '../../src/tls/server.ts';
import { makePki } from './helpers.ts';

const pki = makePki();

describe('tlsConnect and the peer certificate', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    for (const tapped of [false, true]) {
      it(`${version}${tapped ? ', tapped' : ''}: getPeerX509Certificate() and getPeerCertificate() keep answering after tlsConnect`, async () => {
        const server = await TlsLabServer.start({ identity: { key: pki.www.keyPem, cert: pki.www.chainPem } });
        const tap = tapped ? new TapRecorder() : undefined;
        try {
          const c = await tlsConnect({
            host: '127.0.0.1',
            port: server.port,
            servername: 'www.netlab.test',
            ca: pki.root.certPem,
            minVersion: version,
            maxVersion: version,
            ...(tap ? { tap } : {}),
          });
          expect(c.info.protocol).toBe(version);
          expect(c.info.peer?.subject).toBe('CN=www.netlab.test');
          for (let i = 0; i < 3; i++) {
            const x = c.socket.getPeerX509Certificate();
            expect(x?.subject).toBe('CN=www.netlab.test');
            expect(x?.serialNumber.toLowerCase()).toBe(c.info.peer?.serial);
            expect(c.socket.getPeerCertificate().subject?.CN).toBe('www.netlab.test');
          }
          await c.close();
        } finally {
          await server.close();
          await tap?.close();
        }
      });
    }
  }

  // Node 20 behaves so (X509Certificate::GetPeerCert moves the leaf out of the chain); later Nodes may not.
  it.skipIf(!process.versions.node.startsWith('20.'))('a plain Node 20 client shows the behaviour tlsConnect works around', async () => {
    const server = await TlsLabServer.start({ identity: { key: pki.www.keyPem, cert: pki.www.chainPem } });
    try {
      const raw = connect({ host: '127.0.0.1', port: server.port, servername: 'www.netlab.test', ca: pki.root.certPem });
      await new Promise<void>((resolve, reject) => raw.once('secureConnect', () => resolve()).once('error', reject));
      const first = raw.getPeerX509Certificate()?.subject;
      const second = raw.getPeerX509Certificate()?.subject;
      raw.destroy();
      expect(first).toBe('CN=www.netlab.test');
      expect(second).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('tlsConnect from a chosen local address', () => {
  for (const tapped of [false, true]) {
    it(`connects from localAddress${tapped ? ' (tapped: the capture shows it too)' : ''}`, async () => {
      const server = await TlsLabServer.start({ host: '127.71.1.1', identity: { key: pki.www.keyPem, cert: pki.www.chainPem } });
      const tap = tapped ? new TapRecorder() : undefined;
      try {
        const c = await tlsConnect({
          host: '127.71.1.1',
          port: server.port,
          servername: 'www.netlab.test',
          ca: pki.root.certPem,
          localAddress: '127.71.1.40',
          ...(tap ? { tap } : {}),
        });
        // Tapped, the TLS socket runs over a relay: the address is the raw socket's, as the capture shows.
        if (tap === undefined) expect(c.socket.localAddress).toBe('127.71.1.40');
        else expect(tap.flowInfo.map((f) => f.client.address)).toEqual(['127.71.1.40']);
        await c.close();
      } finally {
        await server.close();
        await tap?.close();
      }
    });
  }
});

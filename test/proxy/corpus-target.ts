// netlab's reverse proxy as a strictness-corpus target (test/http/corpus.test.ts): the proxy in front
// of the corpus's recording upstream, so a hostile request must be refused by the proxy and never
// forwarded.

import { startProxy } from '../../src/proxy/index.ts';
import { type CorpusTarget, startRecordingUpstream } from '../http/corpus-targets.ts';
import { CORPUS_LIMITS } from '../http/corpus.ts';

export async function startProxyTarget(): Promise<CorpusTarget> {
  const up = await startRecordingUpstream();
  const proxy = await startProxy(
    {
      listeners: [{ name: 'corpus', address: '127.0.0.1', port: 0 }],
      routes: [{ name: 'all', cluster: 'recording' }],
      clusters: [{ name: 'recording', endpoints: [{ name: 'rec', address: '127.0.0.1', port: up.port }] }],
    },
    { limits: CORPUS_LIMITS, headerTimeoutMs: 3000, idleTimeoutMs: 5000, graceMs: 1000 },
  );
  return {
    name: 'netlab-proxy',
    port: proxy.address().port,
    reached: up.reached,
    sawTag: (tag) => up.raw.some((r) => r.seen.includes(tag)),
    stop: async () => {
      await proxy.close(1000);
      await up.stop();
    },
  };
}

// The sni-and-alpn lab's exercises: find the ClientHello that asked for the blog with a display filter,
// and say which protocol ALPN chose.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeChoice } from '../../src/lab/index.ts';
import { filterExercise } from '../../src/lab/index.ts';

const blog = filterExercise({
  after: 'SNI chooses the certificate',
  title: 'Find the ClientHello for the blog',
  file: 'sni',
  find: 'Two clients came to the same address and port, one for shop.netlab.test, one for blog.netlab.test. The name is in the ClientHello, in plaintext.',
  frames: { like: 'tls.handshake.extensions_server_name == "blog.netlab.test"' },
  hint: 'The SNI field is tls.handshake.extensions_server_name; compare it with a quoted string.',
  right: 'tls.handshake.extensions_server_name == "blog.netlab.test"',
  wrong: 'tls.handshake.type == 1',
});

const alpnChoice: Exercise<unknown> = {
  after: 'ALPN: h2 or http/1.1, chosen in the handshake',
  title: 'Which protocol did ALPN choose?',
  kind: 'answer',
  expects: 'a protocol name',
  task: 'The first client offered "h2" and "http/1.1"; the server speaks both and prefers HTTP/2. Which one did the server choose? (Its answer travels in EncryptedExtensions: Wireshark shows it with the key log in alpn.pcapng.)',
  grade: (answer) => gradeChoice(answer, ['h2'], 'protocol the server chose'),
  hint: 'The server takes the first protocol in its own order of preference that the client also offered; this server prefers HTTP/2.',
  answer: 'h2 (in EncryptedExtensions: tls.handshake.extensions_alpn_str).',
  right: 'h2',
  wrong: 'http/1.1',
};

export const sniAlpnExercises: readonly Exercise<unknown>[] = [blog, alpnChoice];

// `netlab dig NAME [TYPE] [@SERVER] [-p PORT] [+tcp] [+norec] [+noedns] [+trace]`: query a DNS
// server and print the answer the way dig does; +trace resolves iteratively from @SERVER taken as
// the root (labs run their own root, TLD and authoritative servers) and prints every step.

import type { Argv, CommandModule } from 'yargs';
import { isIP } from 'node:net';
import { Resolver } from '../dns/resolver.ts';
import { SocketTransport } from '../dns/transport.ts';
import { digText, traceText } from '../dns/dig-format.ts';
import { encodeDnsMessage } from '../wire/dns-encode.ts';
import { dnsTypeNumber, type DnsMessage } from '../wire/dns-types.ts';
import { recordText } from '../wire/dns-text.ts';
import { nameToLabels } from '../wire/dns-name.ts';
import { CliError, checkNumberOption } from './io.ts';

export interface DigRequest {
  name: string;
  type: number;
  typeText: string;
  server: string;
  port: number;
  tcp: boolean;
  rd: boolean;
  edns: boolean;
  trace: boolean;
  timeoutMs: number;
}

const OPTIONS = new Set(['+tcp', '+notcp', '+norec', '+norecurse', '+rec', '+recurse', '+noedns', '+edns', '+trace', '+notrace']);

/** The longest --timeout: an hour (a timer holds up to 2^31-1 ms, and nobody waits longer for a DNS reply). */
export const MAX_TIMEOUT_MS = 3_600_000;

/** Refuses a name that cannot be a DNS name (empty label, a label over 63 octets, over 255 octets, a bad escape). */
function checkName(word: string): void {
  try {
    nameToLabels(word);
  } catch (err) {
    const shown = word.length > 80 ? `${word.slice(0, 60)}... (${word.length} characters)` : word;
    const why = (err instanceof Error ? err.message : String(err)).replace(/^cannot encode DNS message: /, '').replace(/^name '.*?'(:)? ?/s, '');
    throw new CliError(`invalid name "${shown}" (${why})`, 1);
  }
}

/** Reads dig's free-form arguments: NAME, TYPE, @SERVER, +options (in any order). */
export function parseDigArgs(words: readonly string[], port: number, timeoutMs: number): DigRequest {
  let name: string | undefined;
  let type: { n: number; text: string } | undefined;
  let server = '127.0.0.1';
  const r = { tcp: false, rd: true, edns: true, trace: false };
  for (const w of words) {
    if (w.startsWith('@')) {
      server = w.slice(1);
      if (isIP(server) === 0) throw new CliError(`@${server}: give the server as an IP address (127.x.y.z or ::1)`, 1);
    } else if (w.startsWith('+')) {
      if (!OPTIONS.has(w)) throw new CliError(`unknown option ${w} (known: ${[...OPTIONS].join(' ')})`, 1);
      if (w === '+tcp' || w === '+notcp') r.tcp = w === '+tcp';
      else if (w.startsWith('+norec')) r.rd = false;
      else if (w.startsWith('+rec')) r.rd = true;
      else if (w === '+noedns' || w === '+edns') r.edns = w === '+edns';
      else r.trace = w === '+trace';
    } else if (name !== undefined && type === undefined && dnsTypeNumber(w) !== undefined) {
      type = { n: dnsTypeNumber(w) as number, text: w.toUpperCase() };
    } else if (name === undefined) {
      checkName(w);
      name = w === '.' ? w : w.replace(/\.$/, '');
    } else {
      throw new CliError(`unexpected argument "${w}" (the name is ${name}; the type must be a type like A, AAAA, MX)`, 1);
    }
  }
  if (name === undefined)
    throw new CliError('name a domain to look up: netlab dig www.example.com A @127.53.0.53 -p 5300 (netlab dns serve runs those servers)', 1);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`-p ${port}: a port is 1 to 65535`, 1);
  checkNumberOption('--timeout', timeoutMs, { min: 1, max: MAX_TIMEOUT_MS, integer: true, unit: 'milliseconds' });
  return { name, type: type?.n ?? 1, typeText: type?.text ?? 'A', server, port, ...r, timeoutMs };
}

/** Runs one dig; returns the text and the exit code (0 answered, 9 no reply, as dig). */
export async function runDig(req: DigRequest, command: string): Promise<{ text: string; code: number }> {
  const transport = new SocketTransport({ timeoutMs: req.timeoutMs });
  if (req.trace) {
    const resolver = new Resolver({ rootHints: [{ name: '.', address: req.server, port: req.port }], transport, port: req.port });
    const result = await resolver.resolve(req.name, req.type);
    const answers = result.answers.map(recordText).join('\n');
    return {
      text: `; <<>> netlab dig <<>> ${command}\n;; trace from ${req.server}#${req.port}\n${traceText(result.events)}${answers ? `\n${answers}\n` : ''}`,
      code: result.rcode === 2 ? 9 : 0,
    };
  }
  const question = { name: req.name, type: req.type, class: 1 };
  const server = { address: req.server, port: req.port };
  let text = '';
  let res = await transport.query({ server, question, rd: req.rd, tcp: req.tcp, edns: req.edns, ad: true });
  if (res.ok && res.message.flags.tc && !req.tcp) {
    text += ';; Truncated, retrying in TCP mode.\n';
    res = await transport.query({ server, question, rd: req.rd, tcp: true, edns: req.edns, ad: true });
  }
  if (!res.ok) return { text: `${text};; communications error to ${req.server}#${req.port}: ${res.reason}\n;; no servers could be reached\n`, code: 9 };
  const m: DnsMessage = res.message;
  const size = encodeDnsMessage(m).length;
  return { text: text + digText(m, { server: req.server, port: req.port, tcp: res.tcp, rttMs: res.rttMs, size, when: new Date() }, command), code: 0 };
}

interface DigArgs {
  words?: string[];
  p: number;
  timeout: number;
}

export function buildDigCommand(): CommandModule<object, DigArgs> {
  return {
    command: 'dig [words..]',
    describe: 'Query a DNS server and print the answer like dig (+tcp, +norec, +noedns, +trace)',
    builder: (y) =>
      y
        .positional('words', { type: 'string', array: true, describe: 'NAME [TYPE] [@SERVER] [+tcp] [+norec] [+noedns] [+trace]' })
        .option('p', { type: 'number', default: 53, describe: 'Server port' })
        .option('timeout', { type: 'number', default: 2000, describe: 'Per query, in milliseconds' }),
    handler: async (a) => {
      const words = (a.words ?? []).map(String);
      const req = parseDigArgs(words, a.p, a.timeout);
      const r = await runDig(req, [...words, ...(a.p !== 53 ? ['-p', String(a.p)] : [])].join(' '));
      process.stdout.write(r.text);
      process.exitCode = r.code;
    },
  };
}

export function registerDig(y: Argv): Argv {
  return y.command(buildDigCommand());
}

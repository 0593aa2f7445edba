// Labs ask tshark, when it is installed, to confirm what netlab says about a capture: the same fields,
// read by Wireshark's own dissectors with checksum validation switched on.

import { execFileSync } from 'node:child_process';

/** Wireshark preferences that switch on the checksum checks it leaves off by default. */
export const CHECKSUM_PREFS = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'eth.check_fcs:TRUE'] as const;

let available: boolean | undefined;

/** True when tshark runs here (asked once). */
export function tsharkInstalled(): boolean {
  if (available === undefined) {
    try {
      execFileSync('tshark', ['--version'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/** One row per frame, one column per field, as `tshark -T fields` prints them (with the given prefs). */
export function tsharkFields(path: string, fields: readonly string[], prefs: readonly string[] = CHECKSUM_PREFS): string[][] {
  const args = ['-n', '-r', path];
  for (const p of prefs) args.push('-o', p);
  args.push('-T', 'fields', '-E', 'separator=\t');
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** Wireshark's checksum status numbers, as -T fields prints them. */
export const STATUS_NAME: Readonly<Record<string, string>> = { '0': 'Bad', '1': 'Good', '2': 'Unverified', '3': 'Not present', '4': 'Illegal' };

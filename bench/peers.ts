// The peers the benchmarks run beside netlab: external commands (tshark, tcpdump, gcc) timed as child
// processes, and the `pcap` npm package's pure-JS decoders, installed on first use into bench/.peers
// with --ignore-scripts (its native capture addon does not build here and is not needed to decode).

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const PEERS_DIR = join(import.meta.dirname, '.peers');
const PCAP_NPM_VERSION = '3.1.0';

/** True when `cmd` is on the PATH. */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The first line a command prints for its version (for the results table). */
export function commandVersion(cmd: string, args: string[]): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n')[0].trim();
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.split('\n')[0].trim();
  }
}

/** Runs a command with stdout to /dev/null; resolves with the wall time in seconds. */
export function timeCommand(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 2000) err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      if (code === 0) resolve(s);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

/** The decoder of the `pcap` npm package: PcapPacket from pcap/decode/pcap_packet.js. */
export interface PcapNpmPacket {
  decode(packet: { buf: Buffer; header: Buffer; link_type: string }): PcapNpmPacket;
  payload: { payload?: { saddr?: { toString(): string } } } | null;
}
export type PcapNpmPacketClass = new (emitter?: unknown) => PcapNpmPacket;

/** Installs (once) and loads the `pcap` npm package's decoders. */
export function loadPcapNpm(): PcapNpmPacketClass {
  const pkg = join(PEERS_DIR, 'node_modules', 'pcap', 'package.json');
  if (!existsSync(pkg)) {
    mkdirSync(PEERS_DIR, { recursive: true });
    execFileSync('npm', ['install', '--ignore-scripts', '--no-save', '--no-audit', '--no-fund', '--prefix', PEERS_DIR, `pcap@${PCAP_NPM_VERSION}`], {
      stdio: 'inherit',
    });
  }
  const require = createRequire(pkg);
  return require('pcap/decode/pcap_packet.js') as PcapNpmPacketClass;
}

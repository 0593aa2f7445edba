// A real capture on the loopback interface with tcpdump, for the ports lab: only as root and with
// tcpdump installed; anything else is a reason, not an error.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCapture } from '../../src/capture/index.ts';
import { decode, type Icmp, type Tcp, type Udp } from '../../src/wire/index.ts';

/** A TCP RST tcpdump saw: its frame number (1-based) and ports. */
export interface SeenRst {
  frame: number;
  srcPort: number;
  dstPort: number;
}

/** An ICMP port unreachable tcpdump saw, with the ports of the UDP datagram it quotes. */
export interface SeenUnreachable {
  frame: number;
  quotedSrcPort: number;
  quotedDstPort: number;
}

export interface LoFrames {
  frames: number;
  rst: SeenRst[];
  unreachable: SeenUnreachable[];
}

export interface LoCapture {
  path: string;
  /**
   * Stops tcpdump and lists the frames with a TCP RST and with ICMP port unreachable. With `until`, it
   * first waits (up to 5 s) for tcpdump to have written frames that satisfy it: on a busy machine
   * tcpdump may not have been scheduled yet, and frames still in the kernel's buffer at SIGINT are lost.
   */
  stop(until?: (seen: LoFrames) => boolean): Promise<LoFrames>;
}

function hasTcpdump(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The RSTs and ICMP port unreachables in a capture file (decoded by netlab, never throws on bad frames). */
export function closedPortFrames(bytes: Uint8Array, name: string): LoFrames {
  const cap = parseCapture(bytes, name);
  const rst: SeenRst[] = [];
  const unreachable: SeenUnreachable[] = [];
  for (const p of cap.packets) {
    const layers = decode(p.data, p.iface.linkType).layers;
    const icmpAt = layers.findIndex((l) => l.kind === 'icmp');
    if (icmpAt < 0) {
      const t = layers.find((l) => l.kind === 'tcp')?.value as Tcp | undefined;
      if (t?.flags.rst === true) rst.push({ frame: p.number, srcPort: t.srcPort, dstPort: t.dstPort });
      continue;
    }
    const i = layers[icmpAt].value as Icmp;
    if (i.type !== 3 || i.code !== 3) continue;
    // The quoted datagram follows the ICMP header: its IPv4 header, then its UDP header.
    const quoted = layers.slice(icmpAt + 1).find((l) => l.kind === 'udp')?.value as Udp | undefined;
    unreachable.push({ frame: p.number, quotedSrcPort: quoted?.srcPort ?? -1, quotedDstPort: quoted?.dstPort ?? -1 });
  }
  return { frames: cap.packets.length, rst, unreachable };
}

/** Starts tcpdump on lo with a capture filter; resolves once it is listening, or with the reason it cannot. */
export async function realCaptureOnLo(outDir: string, filter: string): Promise<LoCapture | string> {
  if (process.platform !== 'linux') return 'a capture on lo is shown on Linux only';
  if (process.getuid?.() !== 0) return "capturing on lo needs root (run the lab as root to see the kernel's own frames)";
  if (!hasTcpdump()) return 'tcpdump is not installed (on Debian: apt-get install tcpdump)';
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'real-lo.pcap');
  // --immediate-mode: each packet reaches tcpdump at once (not when the kernel's buffer block times out);
  // -U: and is written at once; -Z root: keep the right to write into the lab's folder.
  const child = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-Z', 'root', '-w', path, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('error', (err) => {
      stderr += err.message;
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    child.kill('SIGKILL');
    await exited;
    return `tcpdump did not start: ${stderr.trim().split('\n').pop() ?? 'no message'}`;
  }
  // tcpdump says "listening" a moment before its filter sees packets: give it that moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    path,
    stop: async (until) => {
      // Give the kernel's answers a moment to be written (longer, up to 5 s, while `until` is unmet),
      // then stop tcpdump and read its file.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const deadline = Date.now() + 5000;
      while (until !== undefined && Date.now() < deadline && !until(readSoFar(path))) await new Promise((resolve) => setTimeout(resolve, 100));
      child.kill('SIGINT');
      await exited;
      return closedPortFrames(readFileSync(path), path);
    },
  };
}

/** What tcpdump has written so far (its last record may be half written: then that record is left out). */
function readSoFar(path: string): LoFrames {
  try {
    return closedPortFrames(readFileSync(path), path);
  } catch {
    return { frames: 0, rst: [], unreachable: [] };
  }
}

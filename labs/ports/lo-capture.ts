// A real capture on the loopback interface with tcpdump, for the ports lab: only as root and with
// tcpdump installed; anything else is a reason, not an error.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCapture } from '../../src/capture/read.ts';
import { decode } from '../../src/wire/index.ts';

export interface LoCapture {
  path: string;
  /** Stops tcpdump and lists the frames (1-based) with a TCP RST and with ICMP port unreachable. */
  stop(): Promise<{ rst: number[]; unreachable: number[] }>;
}

function hasTcpdump(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts tcpdump on lo with a capture filter; resolves once it is listening, or with the reason it cannot. */
export async function realCaptureOnLo(outDir: string, filter: string): Promise<LoCapture | string> {
  if (process.platform !== 'linux') return 'a capture on lo is shown on Linux only';
  if (process.getuid?.() !== 0) return 'capturing on lo needs root (run the lab as root to see the kernel\'s own frames)';
  if (!hasTcpdump()) return 'tcpdump is not installed (on Debian: apt-get install tcpdump)';
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'real-lo.pcap');
  const child = spawn('tcpdump', ['-i', 'lo', '-U', '-n', '-w', path, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    child.kill('SIGKILL');
    return `tcpdump did not start: ${stderr.trim().split('\n').pop() ?? 'no message'}`;
  }
  // tcpdump says "listening" a moment before its filter sees packets: give it that moment.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    path,
    stop: async () => {
      // Give the kernel's answers a moment to be written, then stop tcpdump and read its file.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
      const cap = parseCapture(readFileSync(path), path);
      const rst: number[] = [];
      const unreachable: number[] = [];
      for (const p of cap.packets) {
        const layers = decode(p.data, p.iface.linkType).layers;
        const t = layers.find((l) => l.kind === 'tcp')?.value as { flags?: { rst?: boolean } } | undefined;
        if (t?.flags?.rst === true) rst.push(p.number);
        const i = layers.find((l) => l.kind === 'icmp')?.value as { type?: number; code?: number } | undefined;
        if (i?.type === 3 && i.code === 3) unreachable.push(p.number);
      }
      return { rst, unreachable };
    },
  };
}

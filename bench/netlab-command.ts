// The one place the benches say how to run the `netlab` command line: whatever bin/netlab.js does
// (today it may run the TypeScript through tsx or the precompiled JavaScript in dist/). Set
// NETLAB_BENCH_CMD (words separated by spaces) to time another build of it.

import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** The command and its first arguments; append the subcommand and its flags. */
export function netlabCommand(): { cmd: string; args: string[]; text: string } {
  const custom = process.env.NETLAB_BENCH_CMD?.trim();
  if (custom) {
    const [cmd, ...args] = custom.split(/\s+/);
    return { cmd, args, text: custom };
  }
  return { cmd: process.execPath, args: [join(ROOT, 'bin', 'netlab.js')], text: 'node bin/netlab.js' };
}

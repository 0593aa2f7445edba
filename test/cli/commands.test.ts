// The command table of src/cli/main.ts says each subcommand's one line of help without loading it;
// this holds that line equal to what the subcommand itself declares, and checks that `netlab --help`
// lists every command and that a mistyped command gets a suggestion.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');
const env = { ...process.env, NO_COLOR: '1', COLUMNS: '200' };

// Loaded in the test only: importing main.ts would run the command line.
const { COMMANDS } = (await import('../../src/cli/command-table.ts')) as typeof import('../../src/cli/command-table.ts');

describe('the command table', () => {
  it('lists every command in netlab --help', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help'], { env });
    for (const c of COMMANDS) expect(stdout).toMatch(new RegExp(`netlab ${c.name}\\b`));
  });

  it.each(COMMANDS.map((c) => [c.name, c.describe]))('gives %s the line the command declares', async (name, line) => {
    const { stdout } = await run(process.execPath, [BIN, name, '--help'], { env });
    expect(stdout.replace(/\s+/g, ' ')).toContain(line.replace(/\s+/g, ' '));
  });

  it('suggests the command meant', async () => {
    const err = await run(process.execPath, [BIN, 'decod'], { env }).catch((e: { stderr: string; code: number }) => e);
    expect('stderr' in err ? err.stderr : '').toMatch(/Did you mean decode\?/);
  });
});

// test/helpers/tools.ts: a missing tool skips (with a printed reason) outside CI and fails in CI.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { findTool, requireTool } from '../helpers/tools.ts';

describe('requireTool', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
    vi.restoreAllMocks();
  });

  it('finds a tool on PATH', () => {
    expect(findTool('sh')).toMatch(/\/sh$/);
    expect(requireTool('sh')).toBe(true);
  });

  it('returns false and says why when a tool is missing outside CI', () => {
    delete process.env.CI;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(requireTool('netlab-no-such-tool-1')).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('netlab-no-such-tool-1 not found on PATH'));
  });

  it('throws for a missing tool when CI=true', () => {
    process.env.CI = 'true';
    expect(() => requireTool('netlab-no-such-tool-2')).toThrow(/CI=true/);
  });
});

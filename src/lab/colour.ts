// When to colour, and the styles. Colour only on a terminal with NO_COLOR unset
// (https://no-color.org); FORCE_COLOR (any value but 0/false) turns it on anyway, FORCE_COLOR=0 off,
// as Node itself reads them (FORCE_COLOR wins over NO_COLOR).

export interface ColourEnv {
  readonly NO_COLOR?: string;
  readonly FORCE_COLOR?: string;
}

/** Should output to `stream` be coloured? */
export function colourEnabled(stream: { readonly isTTY?: boolean }, env: ColourEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force.toLowerCase() === 'false') return false;
    return true;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** SGR codes the runner uses. */
export const SGR = {
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  grey: 90,
} as const;

export type StyleName = keyof typeof SGR;

/** Styles as functions; with colour off every one of them returns the text unchanged. */
export interface Palette {
  readonly enabled: boolean;
  paint(code: number, text: string): string;
  style(name: StyleName, text: string): string;
}

export function palette(enabled: boolean): Palette {
  const paint = (code: number, text: string): string => (enabled && text !== '' ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { enabled, paint, style: (name, text) => paint(SGR[name], text) };
}

/** The text without ANSI escapes (for widths). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

// pcapng options: a list of (code u16, length u16, value padded to 4 bytes) ending with opt_endofopt.

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;

// Section Header Block options.
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;

// Interface Description Block options.
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_FCSLEN = 13;
export const IF_TSOFFSET = 14;

// Enhanced Packet Block options.
/** epb_flags: 32 bits; bits 0-1 are the direction (1 inbound, 2 outbound). */
export const EPB_FLAGS = 2;

export interface PcapngOption {
  code: number;
  value: Uint8Array;
}

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The options from `start` to the end of `body`. Stops at opt_endofopt, and at an option that runs
 * past the end of the block (then `problem` says so; the options before it are kept).
 */
export function readOptions(body: Uint8Array, start: number, littleEndian: boolean): { options: PcapngOption[]; problem?: string } {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const options: PcapngOption[] = [];
  let pos = start;
  while (pos + 4 <= body.length) {
    const code = dv.getUint16(pos, littleEndian);
    const len = dv.getUint16(pos + 2, littleEndian);
    if (code === OPT_ENDOFOPT) break;
    if (pos + 4 + len > body.length) {
      return { options, problem: `option ${code} of length ${len} at block byte ${pos + 8} runs past the end of the block` };
    }
    options.push({ code, value: body.subarray(pos + 4, pos + 4 + len) });
    pos += 4 + pad4(len);
  }
  return { options };
}

const utf8 = new TextDecoder('utf-8');

/**
 * A string option's text (UTF-8), up to its first NUL: Wireshark copies option strings as C strings
 * (g_strndup), so a comment holding a NUL ends there, and the trailing NULs some writers add go too.
 */
export function optionText(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return utf8.decode(nul < 0 ? value : value.subarray(0, nul));
}

export function textOf(options: readonly PcapngOption[], code: number): string | undefined {
  const o = options.find((x) => x.code === code);
  return o === undefined ? undefined : optionText(o.value);
}

export function textsOf(options: readonly PcapngOption[], code: number): string[] {
  return options.filter((x) => x.code === code).map((x) => optionText(x.value));
}

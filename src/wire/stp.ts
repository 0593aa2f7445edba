// Spanning Tree BPDUs (IEEE 802.1D-2004 clause 9): carried in 802.3 frames with an LLC header
// (DSAP 0x42, SSAP 0x42, UI control 0x03) to the Bridge Group Address 01:80:c2:00:00:00.
//
//   Ethernet: dst 01:80:c2:00:00:00 | src | length (LLC + BPDU) | LLC 42 42 03 | BPDU | pad to 60
//   Configuration BPDU (35 bytes):
//     0 protocol id (2, 0)   2 version (1, 0)   3 type (1, 0x00)   4 flags (TC 0x01, TCA 0x80)
//     5 root id (8: priority 2 + MAC 6)   13 root path cost (4)   17 bridge id (8)   25 port id (2)
//     27 message age   29 max age   31 hello time   33 forward delay   (each 2 bytes, in 1/256 s)
//   Topology Change Notification BPDU (4 bytes): protocol id, version 0, type 0x80.
//   RST BPDU (802.1w, version 2, type 0x02, 36 bytes) is decoded too (a version 1 length byte follows).
//
// The decoder never throws: what does not fit is reported as `problem`.

import { NetlabRangeError } from '../base/errors.ts';

export const STP_GROUP_MAC = Uint8Array.of(0x01, 0x80, 0xc2, 0x00, 0x00, 0x00);
export const LLC_STP = Uint8Array.of(0x42, 0x42, 0x03);
export const BPDU_TYPE = { CONFIG: 0x00, TCN: 0x80, RST: 0x02 } as const;
export const BPDU_FLAG = { TC: 0x01, TCA: 0x80 } as const;
export const CONFIG_BPDU_LENGTH = 35;
export const TCN_BPDU_LENGTH = 4;
export const RST_BPDU_LENGTH = 36;
/** Shortest Ethernet frame without FCS. */
const MIN_FRAME = 60;

/** A bridge identifier: 16-bit priority (802.1t: 4 bits priority + 12 bits system ID extension) and a MAC. */
export interface BridgeId {
  priority: number;
  mac: Uint8Array;
}

export interface ConfigBpdu {
  type: 'config' | 'rst';
  /** Flags byte: TC 0x01, TCA 0x80 (RST also carries role and state bits). */
  flags: number;
  rootId: BridgeId;
  rootPathCost: number;
  bridgeId: BridgeId;
  /** Port priority (4 bits, in steps of 16) and port number (12 bits). */
  portId: number;
  /** Times in seconds (on the wire in 1/256 s). */
  messageAge: number;
  maxAge: number;
  helloTime: number;
  forwardDelay: number;
}

export interface TcnBpdu {
  type: 'tcn';
}

export type Bpdu = ConfigBpdu | TcnBpdu;

export type BpduDecode = { ok: true; bpdu: Bpdu } | { ok: false; problem: string; offset: number };

/** Bridge ids as 8 bytes compare as numbers: lower is better. Returns <0, 0, >0. */
export function compareBridgeId(a: BridgeId, b: BridgeId): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  for (let i = 0; i < 6; i++) if (a.mac[i] !== b.mac[i]) return a.mac[i] - b.mac[i];
  return 0;
}

export function bridgeIdText(id: BridgeId): string {
  return `${id.priority}/${[...id.mac].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

function checkField(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new NetlabRangeError(`BPDU ${name} must be an integer from 0 to ${max}, got ${v}`);
}

function putId(b: Uint8Array, off: number, id: BridgeId): void {
  checkField('bridge priority', id.priority, 0xffff);
  if (id.mac.length !== 6) throw new NetlabRangeError(`a bridge MAC has 6 bytes, got ${id.mac.length}`);
  b[off] = id.priority >> 8;
  b[off + 1] = id.priority & 0xff;
  b.set(id.mac, off + 2);
}

function putTime(b: Uint8Array, off: number, name: string, seconds: number): void {
  const v = Math.round(seconds * 256);
  checkField(`${name} (1/256 s)`, v, 0xffff);
  b[off] = v >> 8;
  b[off + 1] = v & 0xff;
}

/** The BPDU's bytes (no LLC). Throws RangeError for a field that does not fit. */
export function encodeBpdu(bpdu: Bpdu): Uint8Array {
  if (bpdu.type === 'tcn') return Uint8Array.of(0, 0, 0, BPDU_TYPE.TCN);
  const rst = bpdu.type === 'rst';
  const b = new Uint8Array(rst ? RST_BPDU_LENGTH : CONFIG_BPDU_LENGTH);
  b[2] = rst ? 2 : 0;
  b[3] = rst ? BPDU_TYPE.RST : BPDU_TYPE.CONFIG;
  checkField('flags', bpdu.flags, 0xff);
  b[4] = bpdu.flags;
  putId(b, 5, bpdu.rootId);
  checkField('root path cost', bpdu.rootPathCost, 0xffffffff);
  new DataView(b.buffer).setUint32(13, bpdu.rootPathCost);
  putId(b, 17, bpdu.bridgeId);
  checkField('port id', bpdu.portId, 0xffff);
  b[25] = bpdu.portId >> 8;
  b[26] = bpdu.portId & 0xff;
  putTime(b, 27, 'message age', bpdu.messageAge);
  putTime(b, 29, 'max age', bpdu.maxAge);
  putTime(b, 31, 'hello time', bpdu.helloTime);
  putTime(b, 33, 'forward delay', bpdu.forwardDelay);
  // RST BPDU: Version 1 Length is 0 (byte 35, already zero).
  return b;
}

/** A whole Ethernet frame: 802.3 length, LLC, the BPDU, padded to 60 bytes. */
export function bpduFrame(bpdu: Bpdu, srcMac: Uint8Array): Uint8Array {
  const body = encodeBpdu(bpdu);
  const len = LLC_STP.length + body.length;
  const f = new Uint8Array(Math.max(MIN_FRAME, 14 + len));
  f.set(STP_GROUP_MAC, 0);
  f.set(srcMac.subarray(0, 6), 6);
  f[12] = len >> 8;
  f[13] = len & 0xff;
  f.set(LLC_STP, 14);
  f.set(body, 17);
  return f;
}

/** True when `frame` is addressed to the Bridge Group Address and carries STP's LLC header. */
export function isBpduFrame(frame: Uint8Array): boolean {
  if (frame.length < 17) return false;
  for (let i = 0; i < 6; i++) if (frame[i] !== STP_GROUP_MAC[i]) return false;
  const lengthOrType = (frame[12] << 8) | frame[13];
  return lengthOrType <= 1500 && frame[14] === 0x42 && frame[15] === 0x42 && frame[16] === 0x03;
}

function readId(b: Uint8Array, off: number): BridgeId {
  return { priority: (b[off] << 8) | b[off + 1], mac: b.slice(off + 2, off + 8) };
}

const time = (b: Uint8Array, off: number): number => ((b[off] << 8) | b[off + 1]) / 256;

/** Decodes the BPDU in an Ethernet frame (after the 802.3 header and LLC); never throws. */
export function decodeBpduFrame(frame: Uint8Array): BpduDecode {
  if (!isBpduFrame(frame)) return { ok: false, problem: 'not a BPDU frame (destination 01:80:c2:00:00:00, LLC 42 42 03)', offset: 0 };
  const len = (frame[12] << 8) | frame[13];
  const end = Math.min(frame.length, 14 + len);
  return decodeBpdu(frame.subarray(17, end), 17);
}

/** Decodes BPDU bytes (after LLC); `base` is their offset in the frame, for problems. Never throws. */
export function decodeBpdu(b: Uint8Array, base = 0): BpduDecode {
  if (b.length < TCN_BPDU_LENGTH) return { ok: false, problem: `a BPDU needs at least ${TCN_BPDU_LENGTH} bytes, got ${b.length}`, offset: base };
  const protocol = (b[0] << 8) | b[1];
  if (protocol !== 0) return { ok: false, problem: `protocol identifier 0x${protocol.toString(16)} is not 0 (Spanning Tree)`, offset: base };
  const type = b[3];
  if (type === BPDU_TYPE.TCN) return { ok: true, bpdu: { type: 'tcn' } };
  if (type !== BPDU_TYPE.CONFIG && type !== BPDU_TYPE.RST)
    return { ok: false, problem: `BPDU type 0x${type.toString(16).padStart(2, '0')} is not Configuration (0x00), RST (0x02) or TCN (0x80)`, offset: base + 3 };
  const need = type === BPDU_TYPE.RST ? RST_BPDU_LENGTH : CONFIG_BPDU_LENGTH;
  if (b.length < need)
    return { ok: false, problem: `a ${type === BPDU_TYPE.RST ? 'RST' : 'Configuration'} BPDU needs ${need} bytes, got ${b.length}`, offset: base };
  return {
    ok: true,
    bpdu: {
      type: type === BPDU_TYPE.RST ? 'rst' : 'config',
      flags: b[4],
      rootId: readId(b, 5),
      rootPathCost: ((b[13] << 24) | (b[14] << 16) | (b[15] << 8) | b[16]) >>> 0,
      bridgeId: readId(b, 17),
      portId: (b[25] << 8) | b[26],
      messageAge: time(b, 27),
      maxAge: time(b, 29),
      helloTime: time(b, 31),
      forwardDelay: time(b, 33),
    },
  };
}

// SSH (RFC 4253, TCP port 22) as far as Wireshark 4.0's `ssh` dissector shows it before it knows the
// protocol version of the conversation:
//   - a peer's identification line ("SSH-2.0-OpenSSH_8.7\r\n") is `ssh.protocol` (without the line
//     end), Info "Protocol (SSH-2.0-OpenSSH_8.7)"; it sets the conversation's version (2 for "SSH-2."
//     and "SSH-1.99", 1 for other "SSH-1."), and the Protocol column says "SSHv2" from the next frame;
//   - anything else while the version is unknown is an encrypted packet: the first 4 bytes as
//     `ssh.packet_length_encrypted`, the rest as `ssh.encrypted_packet`, Info "Encrypted packet
//     (len=N)";
//   - each frame ends with the generated `ssh.direction` (client-to-server when the segment goes to
//     port 22) and Info is prefixed "Client: " or "Server: ".
// Once a version is known, the binary packets (key exchange, then encrypted) are not dissected
// here: such segments are left to TCP, with no ssh node.

import type { ProtoNode, Field } from '../field.ts';
import { bool, bytesField, stringField } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import type { TcpAppCall, TcpAppContext, TcpAppDissector, TcpAppOutput } from '../tcp-reassembly-apps.ts';
import { onTcpStreamForgotten } from './tcp-conversation-end.ts';
import { bytesForText } from './link-fields.ts';

export const SSH_TCP_PORT = 22;

registerFields({
  ssh: 'FT_PROTOCOL',
  'ssh.protocol': 'FT_STRING',
  'ssh.packet_length_encrypted': 'FT_BYTES',
  'ssh.encrypted_packet': 'FT_BYTES',
  'ssh.direction': 'FT_BOOLEAN',
});

interface Peer {
  /** Frames where this peer's identification line started and ended (0: not seen). */
  versionStart: number;
  versionEnd: number;
}

interface Conv {
  version: 0 | 1 | 2;
  peers: [Peer, Peer];
}

const MAX_CONVS = 65536;

function convs(app: TcpAppContext): Map<number, Conv> {
  return app.ctx.state.slot<Map<number, Conv>>('ssh', () => new Map());
}

onTcpStreamForgotten((state, stream) => state.slot<Map<number, Conv>>('ssh', () => new Map()).delete(stream));

function conv(app: TcpAppContext): Conv {
  const all = convs(app);
  let c = all.get(app.stream);
  if (c === undefined) {
    if (all.size >= MAX_CONVS) all.delete(all.keys().next().value as number);
    c = {
      version: 0,
      peers: [
        { versionStart: 0, versionEnd: 0 },
        { versionStart: 0, versionEnd: 0 },
      ],
    };
    all.set(app.stream, c);
  }
  return c;
}

function startsWithSsh(b: Uint8Array, at: number, end: number): boolean {
  if (end - at < 4) return false;
  const up = (c: number): number => (c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  return up(b[at]) === 0x53 && up(b[at + 1]) === 0x53 && up(b[at + 2]) === 0x48 && b[at + 3] === 0x2d;
}

function latin1(b: Uint8Array, at: number, end: number): string {
  let s = '';
  for (let i = at; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** The identification line at `at`: the item and the bytes it used. */
function protocolLine(b: Uint8Array, at: number, end: number): { field: Field; used: number; text: string } {
  let nl = -1;
  for (let i = at; i < end; i++)
    if (b[i] === 0x0a) {
      nl = i;
      break;
    }
  let used: number;
  let protoLen: number;
  if (nl < 0) {
    used = end - at;
    protoLen = used;
  } else {
    used = nl - at + 1;
    protoLen = used > 1 && b[nl - 1] === 0x0d ? used - 2 : used - 1;
  }
  const text = latin1(b, at, at + protoLen);
  return { field: stringField('ssh.protocol', 'Protocol', text, at, protoLen), used, text };
}

function versionOf(line: string): 0 | 1 | 2 {
  if (line.startsWith('SSH-2.') || line.startsWith('SSH-1.99')) return 2;
  if (line.startsWith('SSH-1.')) return 1;
  return 0;
}

export const sshTcpApp: TcpAppDissector = {
  name: 'ssh',
  ports: new Set([SSH_TCP_PORT]),
  // Each segment is dissected on its own (the identification line is not reassembled here).
  pduLength: (head) => head.length,
  dissect(call: TcpAppCall, app: TcpAppContext): TcpAppOutput {
    const c = conv(app);
    const response = app.dstPort !== SSH_TCP_PORT;
    const peer = c.peers[response ? 1 : 0];
    const frame = app.ctx.packet.number;
    const protocol = c.version === 2 ? 'SSHv2' : c.version === 1 ? 'SSHv1' : 'SSH';
    const nodes: ProtoNode[] = [];
    const info: string[] = [];
    const b = call.data;
    for (const pdu of call.pdus) {
      const end = pdu.offset + pdu.length;
      const fields: Field[] = [];
      const parts: string[] = [];
      let at = pdu.offset;
      let undissected = false;
      while (at < end) {
        const inVersionWindow = (peer.versionStart === 0 || frame >= peer.versionStart) && (peer.versionEnd === 0 || frame <= peer.versionEnd);
        if (inVersionWindow && startsWithSsh(b, at, end)) {
          if (peer.versionStart === 0) peer.versionStart = frame;
          const line = protocolLine(b, at, end);
          fields.push(line.field);
          parts.push(`Protocol (${line.text})`);
          peer.versionEnd = frame;
          c.version = versionOf(line.text);
          at += line.used;
        } else if (c.version === 0) {
          const len = end - at;
          parts.push(`Encrypted packet (len=${len})`);
          if (len > 4) fields.push(bytesField('ssh.packet_length_encrypted', 'Packet Length (encrypted)', b, at, 4));
          const enc = len > 4 ? at + 4 : at;
          const encLen = end - enc;
          fields.push(
            bytesField('ssh.encrypted_packet', 'Encrypted Packet', b, enc, encLen, {
              text: `Encrypted Packet: ${bytesForText(b.subarray(enc, end))}`,
            }),
          );
          at = end;
        } else {
          undissected = true;
          break;
        }
      }
      if (undissected && fields.length === 0) continue;
      fields.push(
        bool('ssh.direction', 'Direction', response, pdu.offset, 0, {
          generated: true,
          text: `[Direction: ${response ? 'server-to-client' : 'client-to-server'}]`,
        }),
      );
      nodes.push({ proto: 'ssh', label: 'SSH Protocol', offset: pdu.offset, length: pdu.length, fields, malformed: [] });
      info.push(`${response ? 'Server' : 'Client'}: ${parts.join('')}`);
    }
    if (nodes.length === 0) return { nodes, info };
    return { nodes, info, protocol };
  },
};

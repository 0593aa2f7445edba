// The `tls` protocol as Wireshark 4.0 shows it without keys: the record layer (content type or, in a
// TLS 1.3 session, the opaque type; version; length), handshake messages (ClientHello, ServerHello and
// HelloRetryRequest in full, Certificate, ECDHE key exchanges, NewSessionTicket; the rest by type and
// length; messages after ChangeCipherSpec as "Encrypted Handshake Message"), alerts (or "Encrypted
// Alert"), ChangeCipherSpec and application data (with the application protocol Wireshark would hand
// it to), the Info column ("Client Hello", "Server Hello, Change Cipher Spec, Application Data") and
// the Protocol column ("TLSv1.3").
//
// Records come whole from the TCP stream reassembly (tcp-reassembly-apps.ts), on port 443 and on any
// port where the first payload looks like a TLS record (Wireshark's heuristic). Per TCP conversation
// the session keeps what Wireshark keeps: the version once a server message says it, which side is the
// server, the ChangeCipherSpec frame of each side, and the application protocol ALPN chose.
//
// Handshake messages that run past their record are reassembled from the records that follow
// (tls-handshake-reassembly.ts) and shown once whole; certificates are dissected as X.509
// (x509-fields.ts). Not done: SSLv2-compatible ClientHellos are not recognised.

import type { Malformation } from '../../wire/layer.ts';
import { decodeHandshakeMessages, type TlsHandshakeMessage } from '../../wire/tls.ts';
import {
  ALERT_DESCRIPTION_NAMES,
  ALERT_LEVEL_NAMES,
  cipherSuiteKeyExchange,
  CONTENT_TYPE_NAMES,
  EXTENSION,
  HANDSHAKE_TYPE,
  HANDSHAKE_TYPE_NAMES,
  VERSION_SHORT_NAMES,
} from '../../wire/tls-names.ts';
import { isValidContentType, looksLikeTlsRecord, parseRecordHeader, tlsRecordPduLength, type TlsRecord } from '../../wire/tls-record.ts';
import { type Field, type ProtoNode, stringField, uintDec } from '../field.ts';
import type { TcpAppCall, TcpAppContext, TcpAppDissector, TcpAppOutput } from '../tcp-reassembly-apps.ts';
import { expertField } from '../expert.ts';
import { noneField } from './link-fields.ts';
import { onTcpStreamForgotten } from './tcp-conversation-end.ts';
import {
  continuePending,
  fragmentsField,
  HANDSHAKE_BUDGET_BYTES,
  type HandshakeBudget,
  type PendingHandshake,
  release,
  startPending,
} from './tls-handshake-reassembly.ts';
import {
  alertFields,
  bytesT,
  certificateFields,
  certificateRequestFields,
  certificateVerifyFields,
  clientHelloFields,
  ecdheClientFields,
  ecdheServerFields,
  serverHelloFields,
  sessionTicketFields,
  versionField,
} from './tls-fields.ts';

/** TCP ports Wireshark gives to TLS with an application protocol inside, and that protocol's name. */
export const TLS_PORT_APPS: ReadonlyMap<number, string> = new Map([
  [443, 'Hypertext Transfer Protocol'],
  [853, 'Domain Name System'],
  [993, 'Internet Message Access Protocol'],
  [995, 'Post Office Protocol'],
  [636, 'Lightweight Directory Access Protocol'],
]);

/** ALPN protocol ids and the dissector Wireshark hands the application data to. */
const ALPN_APPS: ReadonlyMap<string, string> = new Map([
  ['http/1.1', 'Hypertext Transfer Protocol'],
  ['http/1.0', 'Hypertext Transfer Protocol'],
  ['h2', 'HyperText Transfer Protocol 2'],
  ['dot', 'Domain Name System'],
]);

/** What Wireshark remembers per TLS conversation. */
interface TlsSession {
  /** 0 until a server message (or any non-ClientHello record) says it. TLS 1.3 drafts count as 0x0304. */
  version: number;
  /** Endpoint key of the server, once a ClientHello or ServerHello showed it. */
  server: string | undefined;
  cipherSuite: number | undefined;
  /** Application protocol from the ServerHello's ALPN. */
  app: string | undefined;
  clientCcsFrame: number;
  serverCcsFrame: number;
  /** The ClientHello's session ID, and whether the ServerHello took it up (an abbreviated handshake). */
  clientSessionId: Uint8Array | undefined;
  resumed: boolean;
  /** A handshake message per direction that runs on into the next record. */
  pendingHandshake: { client?: PendingHandshake; server?: PendingHandshake };
}

const MAX_SESSIONS = 65536;

onTcpStreamForgotten((state, stream) => {
  const all = state.slot<Map<number, TlsSession>>('tls-sessions', () => new Map());
  const gone = all.get(stream);
  if (gone === undefined) return;
  const budget = state.slot<HandshakeBudget>('tls-handshake-budget', () => ({ held: 0, limit: HANDSHAKE_BUDGET_BYTES }));
  release(budget, gone.pendingHandshake.client);
  release(budget, gone.pendingHandshake.server);
  all.delete(stream);
});

function sessions(app: TcpAppContext): Map<number, TlsSession> {
  return app.ctx.state.slot<Map<number, TlsSession>>('tls-sessions', () => new Map());
}

function handshakeBudget(app: TcpAppContext): HandshakeBudget {
  return app.ctx.state.slot<HandshakeBudget>('tls-handshake-budget', () => ({ held: 0, limit: HANDSHAKE_BUDGET_BYTES }));
}

function sessionOf(app: TcpAppContext): TlsSession {
  const all = sessions(app);
  let s = all.get(app.stream);
  if (s === undefined) {
    if (all.size >= MAX_SESSIONS) {
      const oldest = all.keys().next().value as number;
      const gone = all.get(oldest);
      release(handshakeBudget(app), gone?.pendingHandshake.client);
      release(handshakeBudget(app), gone?.pendingHandshake.server);
      all.delete(oldest);
    }
    s = {
      version: 0,
      server: undefined,
      cipherSuite: undefined,
      app: undefined,
      clientCcsFrame: 0,
      serverCcsFrame: 0,
      clientSessionId: undefined,
      resumed: false,
      pendingHandshake: {},
    };
    all.set(app.stream, s);
  }
  return s;
}

function fromServer(s: TlsSession, app: TcpAppContext): boolean {
  if (s.server !== undefined) return s.server === app.src;
  return TLS_PORT_APPS.has(app.srcPort) && !TLS_PORT_APPS.has(app.dstPort);
}

const VALID_RECORD_VERSIONS = new Set([0x0300, 0x0301, 0x0302, 0x0303]);

/** A session version as Wireshark keeps it: drafts of TLS 1.3 are TLS 1.3. */
function sessionVersion(v: number): number {
  return (v & 0xff00) === 0x7f00 ? 0x0304 : v;
}

function shortName(v: number, fallback: string): string {
  return VERSION_SHORT_NAMES[v] ?? fallback;
}

/** Four printable ASCII bytes at the start: plain text, not TLS (Wireshark's first check). */
function printable4(b: Uint8Array): boolean {
  if (b.length <= 4) return false;
  for (let i = 0; i < 4; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

interface CallState {
  fields: Field[];
  info: string[];
  malformed: Malformation[];
  /** Version of the last record shown, for the Protocol column. */
  lastVersion: number;
  /** Protocols the certificates' BER dissection reached (frame.protocols). */
  layers: string[];
  /** Wireshark met the end of its buffer inside a certificate: nothing after it is dissected. */
  exception?: { offset: number; reason: string };
  /** An output reads the TLS tree's fields (tlsTree). */
  tree: boolean;
}

/** The TLS dissector for the TCP hook. */
export const tlsTcpApp: TcpAppDissector = {
  name: 'tls',
  ports: new Set([443]),
  heuristic: (payload) => looksLikeTlsRecord(payload),
  accepts: (head) => !printable4(head),
  pduLength: tlsRecordPduLength,
  clearsInfo: true,
  dissect(call: TcpAppCall, app: TcpAppContext): TcpAppOutput {
    const s = sessionOf(app);
    const cs: CallState = { fields: [], info: [], malformed: [], lastVersion: 0, layers: [], tree: tlsTree(app) };
    for (const pdu of call.pdus) {
      if (cs.exception !== undefined) break;
      const rec = parseRecordHeader(call.data, pdu.offset, pdu.offset + pdu.length);
      if (rec === undefined || rec.available < rec.length) continue;
      recordFields(rec, call.data, s, app, cs);
    }
    if (call.opaque !== undefined) {
      // Not a record: Wireshark ignores it in an established TLS 1.0-1.2 session, else calls it continuation data.
      const established = s.version >= 0x0301 && s.version <= 0x0303;
      cs.info.push(established ? 'Ignored Unknown Record' : 'Continuation Data');
    }
    const start = call.pdus[0]?.offset ?? call.partial?.offset ?? call.opaque?.offset ?? 0;
    let end = start;
    for (const r of call.pdus) end = Math.max(end, r.offset + r.length);
    if (call.partial !== undefined) end = Math.max(end, call.partial.offset + call.partial.length);
    if (call.opaque !== undefined) end = Math.max(end, call.opaque.offset + call.opaque.length);
    const node: ProtoNode = {
      proto: 'tls',
      label: 'Transport Layer Security',
      offset: call.reassembled ? 0 : start,
      length: end - start,
      fields: cs.fields,
      malformed: cs.malformed,
    };
    if (cs.layers.length > 0) node.layers = cs.layers;
    const protocol = s.version !== 0 ? shortName(s.version, 'SSL') : cs.lastVersion !== 0 ? shortName(cs.lastVersion, 'SSL') : 'SSL';
    return { nodes: [node], info: cs.info, protocol };
  },
};

function recordFields(rec: TlsRecord, b: Uint8Array, s: TlsSession, app: TcpAppContext, cs: CallState): void {
  const ct = rec.contentType;
  const next = rec.length > 0 ? b[rec.fragmentOffset] : -1;
  // A record that is not a ClientHello tells the session's version.
  if (s.version === 0 && VALID_RECORD_VERSIONS.has(rec.version) && isValidContentType(ct)) {
    const authoritative = ct !== 22 || (next !== HANDSHAKE_TYPE.clientHello && HANDSHAKE_TYPE_NAMES[next] !== undefined);
    if (authoritative) s.version = rec.version;
  }
  const version = s.version !== 0 ? s.version : rec.version;
  const vname = shortName(version, 'SSL');
  const tls13 = s.version === 0x0304;
  // Without an output that reads tls.* fields the record's tree is not made (only what the session,
  // the columns and frame.protocols learn from it).
  const tree = cs.tree;
  const kids: Field[] = [];
  const opaque = tls13 && ct === 23;
  if (tree) {
    kids.push(
      opaque
        ? uintDec('tls.record.opaque_type', 'Opaque Type', ct, rec.offset, 1, { text: `Opaque Type: ${CONTENT_TYPE_NAMES[ct]} (${ct})` })
        : uintDec('tls.record.content_type', 'Content Type', ct, rec.offset, 1, { text: `Content Type: ${CONTENT_TYPE_NAMES[ct] ?? 'Unknown'} (${ct})` }),
    );
    kids.push(versionField('tls.record.version', rec.version, rec.offset + 1));
    kids.push(uintDec('tls.record.length', 'Length', rec.length, rec.offset + 3, 2));
  }
  let label = tree ? `${vname} Record Layer: ${CONTENT_TYPE_NAMES[ct] ?? 'unknown'} Protocol` : '';
  const f = rec.fragmentOffset;
  const server = fromServer(s, app);
  switch (ct) {
    case 20:
      cs.info.push('Change Cipher Spec');
      label = `${vname} Record Layer: Change Cipher Spec Protocol: Change Cipher Spec`;
      if (tree)
        kids.push(
          noneField('tls.change_cipher_spec', 'Change Cipher Spec Message', f, rec.length, {
            text: 'Change Cipher Spec Message',
            children: s.resumed
              ? [expertField('tls.resumed', 'This session reuses previously negotiated keys (Session resumption)', 'Note', 'Sequence', f, rec.length)]
              : undefined,
          }),
        );
      if (server) s.resumed = false;
      // What follows is encrypted: a message left unfinished before it is never completed.
      release(handshakeBudget(app), s.pendingHandshake[server ? 'server' : 'client']);
      s.pendingHandshake[server ? 'server' : 'client'] = undefined;
      if (server) s.serverCcsFrame ||= app.ctx.packet.number;
      else s.clientCcsFrame ||= app.ctx.packet.number;
      break;
    case 21: {
      const sv = shortName(s.version, 'TLS');
      if (rec.length !== 2) {
        cs.info.push('Encrypted Alert');
        label = `${sv} Record Layer: Encrypted Alert`;
        kids.push(noneField('tls.alert_message', 'Alert Message', f, rec.length, { text: 'Alert Message: Encrypted Alert' }));
      } else {
        const level = ALERT_LEVEL_NAMES[b[f]] ?? 'Unknown';
        const desc = ALERT_DESCRIPTION_NAMES[b[f + 1]] ?? 'Unknown';
        cs.info.push(`Alert (Level: ${level}, Description: ${desc})`);
        label = `${sv} Record Layer: Alert (Level: ${level}, Description: ${desc})`;
        kids.push(noneField('tls.alert_message', 'Alert Message', f, 2, { text: 'Alert Message', children: alertFields(b[f], b[f + 1], f) }));
      }
      break;
    }
    case 22:
      label = handshakeRecord(rec, b, s, app, cs, kids, vname, server);
      break;
    case 23: {
      cs.info.push('Application Data');
      if (!tree) break;
      const appName = s.app ?? TLS_PORT_APPS.get(app.srcPort) ?? TLS_PORT_APPS.get(app.dstPort);
      label = `${vname} Record Layer: Application Data Protocol: ${appName ?? 'Application Data'}`;
      kids.push(bytesT('tls.app_data', 'Encrypted Application Data', b.slice(f, f + rec.length), f));
      if (appName !== undefined) kids.push(stringField('tls.app_data_proto', 'Application Data Protocol', appName, 0, 0, { generated: true }));
      break;
    }
    default:
      break;
  }
  cs.lastVersion = version;
  if (tree) cs.fields.push(noneField('tls.record', label, rec.offset, 5 + rec.length, { text: label, children: kids }));
}

/** True when a handshake record's fragment looks encrypted (Wireshark's is_encrypted_handshake_message). */
function looksEncrypted(b: Uint8Array, start: number, len: number, s: TlsSession, server: boolean, frame: number): boolean {
  if (len < 16) return false;
  let zeros = true;
  for (let i = 0; i < 5; i++) if (b[start + i] !== 0) zeros = false;
  const ccs = server ? s.serverCcsFrame : s.clientCcsFrame;
  if (zeros || (ccs !== 0 && frame > ccs)) return true;
  if (HANDSHAKE_TYPE_NAMES[b[start]] === undefined) return true;
  const msgLen = (b[start + 1] << 16) | (b[start + 2] << 8) | b[start + 3];
  return msgLen >= 0x10000;
}

/** Messages whose layout depends on the negotiated version or key exchange. */
const SESSION_DEPENDENT = new Set<number>([
  HANDSHAKE_TYPE.certificate,
  HANDSHAKE_TYPE.serverKeyExchange,
  HANDSHAKE_TYPE.clientKeyExchange,
  HANDSHAKE_TYPE.newSessionTicket,
  HANDSHAKE_TYPE.certificateRequest,
  HANDSHAKE_TYPE.certificateVerify,
]);

type Direction = 'client' | 'server';

function handshakeRecord(
  rec: TlsRecord,
  b: Uint8Array,
  s: TlsSession,
  app: TcpAppContext,
  cs: CallState,
  kids: Field[],
  vname: string,
  server: boolean,
): string {
  const f = rec.fragmentOffset;
  const end = f + rec.length;
  const dir: Direction = server ? 'server' : 'client';
  const frame = app.ctx.packet.number;
  const pending = s.pendingHandshake[dir];
  if (pending === undefined && looksEncrypted(b, f, rec.length, s, server, frame)) {
    cs.info.push('Encrypted Handshake Message');
    kids.push(noneField('tls.handshake', 'Handshake Protocol', f, rec.length, { text: 'Handshake Protocol: Encrypted Handshake Message' }));
    return `${vname} Record Layer: Handshake Protocol: Encrypted Handshake Message`;
  }
  const multiple = `${vname} Record Layer: Handshake Protocol: Multiple Handshake Messages`;
  let items = 0;
  let label = '';
  let offset = f;
  if (pending !== undefined) {
    // The record starts with the rest of a message begun in earlier records.
    const name = HANDSHAKE_TYPE_NAMES[pending.type] ?? 'Encrypted Handshake Message';
    const r = continuePending(pending, b, f, rec.length, frame, handshakeBudget(app));
    offset += r.taken;
    if (r.message === undefined || r.pieces === undefined) {
      if (r.dropped) s.pendingHandshake[dir] = undefined;
      kids.push(noneField('tls.handshake', 'Handshake Protocol', f, r.taken, { text: `Handshake Protocol: ${name} (fragment)` }));
      return multiple;
    }
    s.pendingHandshake[dir] = undefined;
    kids.push(noneField('tls.handshake', 'Handshake Protocol', f, r.taken, { text: `Handshake Protocol: ${name} (last fragment)` }));
    kids.push(fragmentsField(r.message, r.pieces));
    const whole = decodeHandshakeMessages(r.message, 0, r.message.length)[0];
    const shown = whole !== undefined ? showMessage(whole, r.message, s, app, cs, true) : undefined;
    if (shown !== undefined) {
      cs.info.push(shown.name);
      kids.push(shown.field);
      label = `${vname} Record Layer: Handshake Protocol: ${shown.name}`;
    }
    items = 1;
    if (cs.exception !== undefined) {
      cs.malformed.push({ layer: 'tls', offset: cs.exception.offset, reason: cs.exception.reason });
      return label;
    }
  }
  // The ServerHello chooses the version (and the key exchange) before its own body is read.
  const pre = decodeHandshakeMessages(b, offset, end);
  let stopped = false;
  for (const raw of pre) {
    const h = raw.header;
    if (!raw.complete) {
      // Runs past the record: kept until the records after it complete it.
      const name = HANDSHAKE_TYPE_NAMES[h.type] ?? 'Encrypted Handshake Message';
      const started = startPending(b.subarray(h.offset, end), frame, handshakeBudget(app));
      if (started !== undefined) s.pendingHandshake[dir] = started;
      if (items === 0) cs.info.push(`[${name} Fragment]`);
      kids.push(noneField('tls.handshake', 'Handshake Protocol', h.offset, end - h.offset, { text: `Handshake Protocol: ${name} (fragment)` }));
      label = items === 0 ? `${vname} Record Layer: Handshake Protocol: ${name} (fragment)` : multiple;
      items++;
      offset = end;
      break;
    }
    const shown = showMessage(raw, b, s, app, cs, items === 0);
    if (shown === undefined) {
      stopped = true;
      break;
    }
    cs.info.push(shown.name);
    kids.push(shown.field);
    label = items === 0 ? `${vname} Record Layer: Handshake Protocol: ${shown.name}` : multiple;
    items++;
    offset = h.bodyOffset + h.length;
    if (cs.exception !== undefined) {
      cs.malformed.push({ layer: 'tls', offset: cs.exception.offset, reason: cs.exception.reason });
      return label;
    }
  }
  if (!stopped && offset < end) {
    // Fewer than four bytes left: a message whose header continues in the next record.
    const t = HANDSHAKE_TYPE_NAMES[b[offset]] ?? 'Encrypted Handshake Message';
    const started = startPending(b.subarray(offset, end), frame, handshakeBudget(app));
    if (started !== undefined) s.pendingHandshake[dir] = started;
    if (items === 0) cs.info.push(`[${t} Fragment]`);
    kids.push(noneField('tls.handshake', 'Handshake Protocol', offset, end - offset, { text: `Handshake Protocol: ${t} (fragment)` }));
    label = items === 0 ? `${vname} Record Layer: Handshake Protocol: ${t} (fragment)` : multiple;
  }
  return label;
}

/**
 * One whole handshake message in `b`: what it tells the session (version, suite, server side, ALPN,
 * resumption), then its tree. Undefined for a message of unknown type after the first (Wireshark stops).
 */
function showMessage(
  raw: TlsHandshakeMessage,
  b: Uint8Array,
  s: TlsSession,
  app: TcpAppContext,
  cs: CallState,
  first: boolean,
): { name: string; field: Field } | undefined {
  const h = raw.header;
  let m: TlsHandshakeMessage = raw;
  let hrr = false;
  if (h.type === HANDSHAKE_TYPE.serverHello && m.body.kind === 'server-hello') {
    hrr = m.body.helloRetryRequest;
    s.version = sessionVersion(m.body.selectedVersion) || s.version;
    s.cipherSuite = m.body.cipherSuite;
    s.server = app.src;
    const alpn = m.body.extensions.find((e) => e.type === EXTENSION.alpn)?.body;
    if (alpn?.kind === 'alpn' && alpn.protocols.length > 0) s.app = ALPN_APPS.get(alpn.protocols[0].name) ?? s.app;
  }
  if (h.type === HANDSHAKE_TYPE.clientHello) {
    s.server = app.dst;
    s.clientSessionId = m.body.kind === 'client-hello' ? m.body.sessionId : undefined;
    s.resumed = false;
  }
  if (h.type === HANDSHAKE_TYPE.serverHello && m.body.kind === 'server-hello' && s.version !== 0x0304) {
    const sid = m.body.sessionId;
    const cid = s.clientSessionId;
    s.resumed = sid.length > 0 && cid !== undefined && cid.length === sid.length && sid.every((x, i) => x === cid[i]);
  }
  // Bodies whose layout depends on the session are read with what it knows now.
  if (SESSION_DEPENDENT.has(h.type)) {
    const again = decodeHandshakeMessages(b, h.offset, h.bodyOffset + h.available, {
      version: s.version,
      keyExchange: s.cipherSuite !== undefined ? cipherSuiteKeyExchange(s.cipherSuite) : undefined,
    });
    if (again[0] !== undefined) m = again[0];
  }
  const known = HANDSHAKE_TYPE_NAMES[h.type];
  if (known === undefined && !first) return undefined;
  const name = hrr ? 'Hello Retry Request' : (known ?? 'Encrypted Handshake Message');
  const msgKids: Field[] = [
    uintDec('tls.handshake.type', 'Handshake Type', h.type, h.offset, 1, { text: `Handshake Type: ${known ?? 'Unknown'} (${h.type})` }),
    uintDec('tls.handshake.length', 'Length', h.length, h.offset + 1, 3),
    ...bodyFields(m, b, s, cs, cs.tree),
  ];
  return { name, field: noneField('tls.handshake', 'Handshake Protocol', h.offset, 4 + h.length, { text: `Handshake Protocol: ${name}`, children: msgKids }) };
}

/**
 * True when an output reads the TLS tree's fields (or the certificates' within it); otherwise the
 * application data bytes and the hello and key exchange bodies are not built (state.wants).
 */
function tlsTree(app: TcpAppContext): boolean {
  const st = app.ctx.state;
  return st.wants('tls') || st.wants('x509') || st.wants('pkix') || st.wants('pkcs');
}

/**
 * The message body's fields. Without `tree` only certificates are still read: what they find goes
 * into frame.protocols and can end the dissection (cs.layers, cs.exception).
 */
function bodyFields(m: TlsHandshakeMessage, b: Uint8Array, s: TlsSession, cs: CallState, tree: boolean): Field[] {
  const start = m.header.bodyOffset;
  const body = m.body;
  const err = 'error' in body ? body.error : undefined;
  if (err !== undefined) cs.malformed.push({ layer: 'tls', offset: err.offset, reason: err.reason });
  if (!tree && body.kind !== 'certificate' && body.kind !== 'certificate-request') return [];
  switch (body.kind) {
    case 'client-hello':
      return clientHelloFields(body, start, s.version !== 0x0304);
    case 'server-hello':
      return serverHelloFields(body, start, s.version !== 0x0304);
    case 'certificate':
      return certificateFields(body, b, m.header.bodyOffset + m.header.length, cs);
    case 'server-key-exchange-ecdhe':
      return ecdheServerFields(body, start);
    case 'client-key-exchange-ecdhe':
      return ecdheClientFields(body, start);
    case 'new-session-ticket':
      return sessionTicketFields(body, start);
    case 'certificate-request':
      return certificateRequestFields(body, start, b, cs);
    case 'certificate-verify':
      return certificateVerifyFields(body, start);
    case 'opaque':
      return [];
  }
}

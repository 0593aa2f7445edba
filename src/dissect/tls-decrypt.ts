// TLS record decryption from a key log (NSS key log format, as Node's 'keylog' event, browsers'
// SSLKEYLOGFILE and a pcapng Decryption Secrets Block carry it), for the AEAD cipher suites:
//
//   TLS 1.3  TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, keyed from
//            CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET (the encrypted handshake) and
//            CLIENT_/SERVER_TRAFFIC_SECRET_0 (after each side's Finished) with HKDF-Expand-Label
//            (RFC 8446 7.1, 7.3); nonce = iv XOR record number, AAD = the record header (5.2).
//   TLS 1.2  (EC)DHE/RSA with AES-GCM (RFC 5288) and ChaCha20-Poly1305 (RFC 7905), keyed from
//            CLIENT_RANDOM's master secret by the PRF's "key expansion" (RFC 5246 6.3); each
//            direction encrypts after its ChangeCipherSpec.
//
// A TlsStreamDecryptor is fed one TCP stream's bytes in order, per direction (what Follow TCP Stream
// gives); it finds the randoms, the version and the cipher suite in the plaintext hellos, looks the
// client random up in the key log and hands out every record, decrypted when it can, with the frame
// whose bytes completed it. What it cannot decrypt is reported, never thrown.

import { createDecipheriv, createHmac } from 'node:crypto';

/** The secrets of one TLS session (by client random), as the key log gives them. */
export interface SessionSecrets {
  /** TLS 1.2: CLIENT_RANDOM's master secret. */
  master?: Uint8Array;
  clientHandshake?: Uint8Array;
  serverHandshake?: Uint8Array;
  clientTraffic0?: Uint8Array;
  serverTraffic0?: Uint8Array;
}

export interface TlsKeyLog {
  /** Secrets by client random (lower-case hex). */
  sessions: Map<string, SessionSecrets>;
  /** Lines that were not key log lines, as `line N: why`. */
  problems: string[];
}

const LABELS: Record<string, keyof SessionSecrets> = {
  CLIENT_RANDOM: 'master',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshake',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshake',
  CLIENT_TRAFFIC_SECRET_0: 'clientTraffic0',
  SERVER_TRAFFIC_SECRET_0: 'serverTraffic0',
};
/** Labels of the format this module has no use for (kept quiet). */
const OTHER_LABELS = new Set(['EXPORTER_SECRET', 'EARLY_EXPORTER_SECRET', 'CLIENT_EARLY_TRAFFIC_SECRET', 'RSA']);

/** Reads key log text (more than one text may be merged into one key log). */
export function parseKeyLog(text: string, into: TlsKeyLog = { sessions: new Map(), problems: [] }): TlsKeyLog {
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [label, random, secret, ...rest] = line.split(/\s+/);
    if (OTHER_LABELS.has(label)) return;
    const key = LABELS[label];
    if (key === undefined) {
      into.problems.push(`line ${i + 1}: ${label}: not a key log label (CLIENT_RANDOM, CLIENT_TRAFFIC_SECRET_0, ...)`);
      return;
    }
    if (rest.length > 0 || !/^[0-9a-fA-F]{64}$/.test(random ?? '') || !/^([0-9a-fA-F]{2}){32,64}$/.test(secret ?? '')) {
      into.problems.push(`line ${i + 1}: expected "${label} <64 hex digits of client random> <secret in hex>"`);
      return;
    }
    const id = random.toLowerCase();
    const s = into.sessions.get(id) ?? {};
    s[key] = Buffer.from(secret, 'hex');
    into.sessions.set(id, s);
  });
  return into;
}

// ---- key derivation -------------------------------------------------------------------------------

type Hash = 'sha256' | 'sha384';

/** HKDF-Expand (RFC 5869 2.3). */
export function hkdfExpand(hash: Hash, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let t: Buffer = Buffer.alloc(0);
  let have = 0;
  for (let i = 1; have < length; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.of(i)).digest();
    out.push(t);
    have += t.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label (RFC 8446 7.1) with an empty context. */
export function hkdfExpandLabel(hash: Hash, secret: Uint8Array, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.of(length >> 8, length & 0xff, full.length), full, Buffer.of(0)]);
  return hkdfExpand(hash, secret, info, length);
}

/** The TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label + seed). */
export function prf12(hash: Hash, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const s = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a: Buffer = s;
  let have = 0;
  while (have < length) {
    a = createHmac(hash, secret).update(a).digest();
    const p = createHmac(hash, secret).update(a).update(s).digest();
    out.push(p);
    have += p.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

interface Suite {
  name: string;
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  keyLength: number;
  hash: Hash;
}

const GCM128 = (name: string): Suite => ({ name, cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256' });
const GCM256 = (name: string): Suite => ({ name, cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384' });
const CHACHA = (name: string): Suite => ({ name, cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' });

/** The AEAD suites decrypted, by IANA number. */
export const SUITES: ReadonlyMap<number, Suite> = new Map([
  [0x1301, GCM128('TLS_AES_128_GCM_SHA256')],
  [0x1302, GCM256('TLS_AES_256_GCM_SHA384')],
  [0x1303, CHACHA('TLS_CHACHA20_POLY1305_SHA256')],
  [0x009c, GCM128('TLS_RSA_WITH_AES_128_GCM_SHA256')],
  [0x009d, GCM256('TLS_RSA_WITH_AES_256_GCM_SHA384')],
  [0x009e, GCM128('TLS_DHE_RSA_WITH_AES_128_GCM_SHA256')],
  [0x009f, GCM256('TLS_DHE_RSA_WITH_AES_256_GCM_SHA384')],
  [0xc02b, GCM128('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256')],
  [0xc02c, GCM256('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384')],
  [0xc02f, GCM128('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')],
  [0xc030, GCM256('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384')],
  [0xcca8, CHACHA('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256')],
  [0xcca9, CHACHA('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256')],
  [0xccaa, CHACHA('TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256')],
]);

/** One direction's record protection. */
interface DirKeys {
  key: Buffer;
  /** TLS 1.3 and ChaCha: the 12-byte IV; TLS 1.2 GCM: the 4-byte salt. */
  iv: Buffer;
  seq: bigint;
}

function open(suite: Suite, keys: DirKeys, nonce: Buffer, aad: Buffer, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < 16) return undefined;
  const body = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  try {
    if (suite.cipher === 'chacha20-poly1305') {
      const d = createDecipheriv('chacha20-poly1305', keys.key, nonce, { authTagLength: 16 });
      d.setAAD(aad, { plaintextLength: body.length });
      d.setAuthTag(tag);
      return Buffer.concat([d.update(body), d.final()]);
    }
    const d = createDecipheriv(suite.cipher, keys.key, nonce);
    d.setAAD(aad);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    return undefined;
  }
}

/** iv XOR the 64-bit record number, right-aligned (RFC 8446 5.3, RFC 7905 2). */
function xorNonce(iv: Buffer, seq: bigint): Buffer {
  const n = Buffer.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) n[n.length - 8 + i] ^= s[i];
  return n;
}

// ---- the stream decryptor -----------------------------------------------------------------------

/** A record of the stream: its content type (the inner one once decrypted) and its bytes. */
export interface TlsRecordOut {
  dir: 0 | 1;
  /** The frame whose bytes completed the record. */
  frame: number;
  /** 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data. */
  type: number;
  /** Plaintext (decrypted, or a record sent in the clear). */
  data: Uint8Array;
  /** True when the record was encrypted and is shown decrypted. */
  decrypted: boolean;
  /** Set when the record was encrypted and could not be decrypted: why. */
  problem?: string;
}

interface DirState {
  buf: Buffer;
  /** Handshake message bytes not yet parsed (plaintext or decrypted). */
  hs: Buffer;
  keys: DirKeys | undefined;
  /** TLS 1.3: handshake keys in use (switch to traffic keys after this side's Finished). */
  handshakeKeys: boolean;
}

const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

export class TlsStreamDecryptor {
  private readonly dirs: [DirState, DirState] = [
    { buf: Buffer.alloc(0), hs: Buffer.alloc(0), keys: undefined, handshakeKeys: false },
    { buf: Buffer.alloc(0), hs: Buffer.alloc(0), keys: undefined, handshakeKeys: false },
  ];
  private clientRandom: string | undefined;
  private serverRandom: Buffer | undefined;
  private suite: Suite | undefined;
  private suiteId = 0;
  /** 0 until a ServerHello is seen, then 0x0303 or 0x0304. */
  version = 0;
  /** Why the stream cannot be decrypted, once known (no keys for its client random, a suite not supported). */
  failure: string | undefined;
  /** True when a record was not a TLS record (the stream is not TLS from there on). */
  notTls = false;

  constructor(private readonly keyLog: TlsKeyLog) {}

  /** The secrets of this session, once the ClientHello was seen. */
  private get secrets(): SessionSecrets | undefined {
    return this.clientRandom === undefined ? undefined : this.keyLog.sessions.get(this.clientRandom);
  }

  /** The cipher suite's name, once the ServerHello was seen. */
  get suiteName(): string | undefined {
    return this.suite?.name ?? (this.suiteId ? `0x${this.suiteId.toString(16).padStart(4, '0')}` : undefined);
  }

  /** Feeds bytes of one direction (in order); returns the records they complete. */
  push(dir: 0 | 1, frame: number, bytes: Uint8Array): TlsRecordOut[] {
    const st = this.dirs[dir];
    st.buf = st.buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([st.buf, bytes]);
    const out: TlsRecordOut[] = [];
    while (!this.notTls && st.buf.length >= 5) {
      const type = st.buf[0];
      const len = st.buf.readUInt16BE(3);
      if (type < 20 || type > 24 || st.buf[1] !== 3 || len > 16384 + 2048) {
        this.notTls = true;
        break;
      }
      if (st.buf.length < 5 + len) break;
      const header = st.buf.subarray(0, 5);
      const fragment = st.buf.subarray(5, 5 + len);
      st.buf = st.buf.subarray(5 + len);
      out.push(this.record(dir, frame, type, header, fragment));
    }
    return out;
  }

  private record(dir: 0 | 1, frame: number, type: number, header: Buffer, fragment: Buffer): TlsRecordOut {
    const st = this.dirs[dir];
    if (type === 20) {
      // TLS 1.2: this side encrypts from its next record on. (TLS 1.3's compatibility CCS changes nothing.)
      if (this.version === 0x0303) this.keys12(dir);
      return { dir, frame, type, data: fragment, decrypted: false };
    }
    if (st.keys === undefined) {
      if (type === 22) this.handshake(dir, fragment);
      const r: TlsRecordOut = { dir, frame, type, data: fragment, decrypted: false };
      if (type === 23) r.problem = this.failure ?? 'no keys for this record';
      return r;
    }
    const plain = this.version === 0x0304 ? this.open13(st.keys, header, fragment) : this.open12(st.keys, type, header, fragment);
    if (plain === undefined) {
      st.keys.seq++;
      return { dir, frame, type, data: fragment, decrypted: false, problem: 'the record did not decrypt (wrong key, or a record missing before it)' };
    }
    st.keys.seq++;
    if (this.version === 0x0304) {
      // Inner plaintext: content, the real type, zero padding (RFC 8446 5.2).
      let end = plain.length;
      while (end > 0 && plain[end - 1] === 0) end--;
      const inner = end > 0 ? plain[end - 1] : 0;
      const data = plain.subarray(0, Math.max(0, end - 1));
      if (inner === 22) this.handshake(dir, data);
      return { dir, frame, type: inner, data, decrypted: true };
    }
    if (type === 22) this.handshake(dir, plain);
    return { dir, frame, type, data: plain, decrypted: true };
  }

  private open13(keys: DirKeys, header: Buffer, fragment: Buffer): Buffer | undefined {
    return this.suite === undefined ? undefined : open(this.suite, keys, xorNonce(keys.iv, keys.seq), header, fragment);
  }

  private open12(keys: DirKeys, type: number, header: Buffer, fragment: Buffer): Buffer | undefined {
    const suite = this.suite;
    if (suite === undefined) return undefined;
    const aad = Buffer.alloc(13);
    aad.writeBigUInt64BE(keys.seq);
    aad[8] = type;
    aad[9] = header[1];
    aad[10] = header[2];
    if (suite.cipher === 'chacha20-poly1305') {
      aad.writeUInt16BE(Math.max(0, fragment.length - 16), 11);
      return open(suite, keys, xorNonce(keys.iv, keys.seq), aad, fragment);
    }
    if (fragment.length < 8 + 16) return undefined;
    aad.writeUInt16BE(fragment.length - 8 - 16, 11);
    return open(suite, keys, Buffer.concat([keys.iv, fragment.subarray(0, 8)]), aad, fragment.subarray(8));
  }

  /** Handshake messages of one direction (they may span records). */
  private handshake(dir: 0 | 1, bytes: Uint8Array): void {
    const st = this.dirs[dir];
    st.hs = st.hs.length === 0 ? Buffer.from(bytes) : Buffer.concat([st.hs, bytes]);
    while (st.hs.length >= 4) {
      const len = st.hs.readUIntBE(1, 3);
      if (st.hs.length < 4 + len) break;
      const msgType = st.hs[0];
      const body = st.hs.subarray(4, 4 + len);
      st.hs = st.hs.subarray(4 + len);
      if (msgType === 1 && dir === 0 && body.length >= 34) this.clientRandom = body.subarray(2, 34).toString('hex');
      else if (msgType === 2 && dir === 1) this.serverHello(body);
      else if (msgType === 20 && this.version === 0x0304 && st.handshakeKeys) this.traffic13(dir);
    }
  }

  private serverHello(body: Buffer): void {
    if (body.length < 38) return;
    const random = body.subarray(2, 34);
    if (random.toString('hex') === HRR_RANDOM) return; // a HelloRetryRequest: the real ServerHello follows
    this.serverRandom = Buffer.from(random);
    let at = 34;
    at += 1 + body[at];
    if (at + 3 > body.length) return;
    this.suiteId = body.readUInt16BE(at);
    at += 3;
    let version = body.readUInt16BE(0);
    if (at + 2 <= body.length) {
      const end = Math.min(body.length, at + 2 + body.readUInt16BE(at));
      for (at += 2; at + 4 <= end; ) {
        const ext = body.readUInt16BE(at);
        const len = body.readUInt16BE(at + 2);
        if (ext === 0x002b && len === 2) version = body.readUInt16BE(at + 4);
        at += 4 + len;
      }
    }
    this.version = version;
    this.suite = SUITES.get(this.suiteId);
    if (this.suite === undefined) {
      this.failure = `cipher suite ${this.suiteName} is not decrypted (AES-GCM and ChaCha20-Poly1305 suites are)`;
      return;
    }
    if (version !== 0x0303 && version !== 0x0304) {
      this.failure = `version 0x${version.toString(16)} is not decrypted (TLS 1.2 and 1.3 are)`;
      return;
    }
    const s = this.secrets;
    if (s === undefined) {
      this.failure =
        this.clientRandom === undefined ? 'the ClientHello was not seen' : `the key log has no secrets for client random ${this.clientRandom.slice(0, 16)}...`;
      return;
    }
    if (version === 0x0304) {
      if (s.clientHandshake === undefined || s.serverHandshake === undefined) {
        this.failure = 'the key log lacks the handshake traffic secrets of this session';
        return;
      }
      this.dirs[0].keys = this.keys13(s.clientHandshake);
      this.dirs[1].keys = this.keys13(s.serverHandshake);
      this.dirs[0].handshakeKeys = true;
      this.dirs[1].handshakeKeys = true;
    } else if (s.master === undefined) {
      this.failure = 'the key log has no CLIENT_RANDOM line (master secret) for this session';
    }
  }

  private keys13(secret: Uint8Array): DirKeys {
    const suite = this.suite as Suite;
    return { key: hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLength), iv: hkdfExpandLabel(suite.hash, secret, 'iv', 12), seq: 0n };
  }

  /** TLS 1.3: after this side's Finished, its application traffic keys. */
  private traffic13(dir: 0 | 1): void {
    const s = this.secrets;
    const secret = dir === 0 ? s?.clientTraffic0 : s?.serverTraffic0;
    const st = this.dirs[dir];
    st.handshakeKeys = false;
    if (secret === undefined) {
      st.keys = undefined;
      this.failure = `the key log lacks ${dir === 0 ? 'CLIENT' : 'SERVER'}_TRAFFIC_SECRET_0 for this session`;
      return;
    }
    st.keys = this.keys13(secret);
  }

  /** TLS 1.2: this side's keys from the master secret (after its ChangeCipherSpec). */
  private keys12(dir: 0 | 1): void {
    const suite = this.suite;
    const master = this.secrets?.master;
    if (suite === undefined || master === undefined || this.serverRandom === undefined || this.clientRandom === undefined) return;
    const ivLength = suite.cipher === 'chacha20-poly1305' ? 12 : 4;
    const seed = Buffer.concat([this.serverRandom, Buffer.from(this.clientRandom, 'hex')]);
    const block = prf12(suite.hash, master, 'key expansion', seed, 2 * suite.keyLength + 2 * ivLength);
    const k = suite.keyLength;
    const key = dir === 0 ? block.subarray(0, k) : block.subarray(k, 2 * k);
    const iv = dir === 0 ? block.subarray(2 * k, 2 * k + ivLength) : block.subarray(2 * k + ivLength, 2 * k + 2 * ivLength);
    this.dirs[dir].keys = { key: Buffer.from(key), iv: Buffer.from(iv), seq: 0n };
  }
}

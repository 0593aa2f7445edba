// A client attempt as a lab reports it: connected (with what it got) or refused (with the code), and
// the server's side of a refusal.

import { TlsRefusedError, type TlsClient } from '../../src/tls/index.ts';

export interface Attempt {
  /** 'connected', or the refusal's code (Node's: ERR_TLS_CERT_ALTNAME_INVALID, ECONNRESET, ...). */
  readonly outcome: string;
  /** For a connection: protocol, whether the server was authenticated and the answer; else the error message. */
  readonly detail: string;
}

/** Connects, sends `request`, reads the answer to the end; never throws for a refusal. */
export async function askOrRefusal(connect: () => Promise<TlsClient>, request: string): Promise<Attempt> {
  let client: TlsClient;
  try {
    client = await connect();
  } catch (e) {
    return refusal(e);
  }
  try {
    const reply = (await client.exchange(request)).toString('latin1');
    const body = reply.slice(reply.indexOf('\r\n\r\n') + 4).trim();
    return { outcome: 'connected', detail: `${client.info.protocol}, authorized ${client.info.authorized}, answer ${JSON.stringify(body)}` };
  } catch (e) {
    return refusal(e);
  }
}

function refusal(e: unknown): Attempt {
  if (e instanceof TlsRefusedError) return { outcome: e.code ?? 'refused', detail: e.message };
  const err = e as NodeJS.ErrnoException;
  return { outcome: err.code ?? 'error', detail: err.message ?? String(e) };
}

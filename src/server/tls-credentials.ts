/**
 * The certificate and key of `wss://`, checked the way TLS will use them, so that a wrong
 * pair is refused when it is given (at start, or at a reload) rather than at the first
 * client's handshake.
 */
import { createSecureContext } from 'node:tls';

/** A certificate (chain) and its private key, PEM, for `wss://`. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

/** What is wrong with `value` as credentials, or undefined when TLS accepts them. Never quotes the key. */
export function tlsCredentialsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object { cert, key }';
  const { cert, key } = value as Partial<TlsCredentials>;
  const isPem = (v: unknown) => (typeof v === 'string' || Buffer.isBuffer(v)) && v.length > 0;
  if (!isPem(cert)) return 'the certificate is missing or empty';
  if (!isPem(key)) return 'the key is missing or empty';
  if (!String(cert).includes('-----BEGIN ')) return 'the certificate is not PEM (no -----BEGIN line)';
  if (!String(key).includes('-----BEGIN ')) return 'the key is not PEM (no -----BEGIN line)';
  try {
    createSecureContext({ cert, key });
    return undefined;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return 'the key does not match the certificate';
    // OpenSSL's words, without its "error:05800074:x509 certificate routines::" prefix.
    return `unusable: ${message.replace(/^error:[0-9A-Fa-f]+:[^:]*::/, '')}`;
  }
}

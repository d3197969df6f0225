/**
 * Keeps secrets (tokens, passwords, API keys) out of logs, statistics, error messages and
 * saved data.
 */

const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|key|secret|password|auth/i;

/** True for a header whose value is a credential: Authorization, Cookie, or any name with token/key/secret/password/auth. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

export const REDACTED = '[redacted]';

/** A copy of `headers` with the values of sensitive headers replaced by `[redacted]`. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    copy[name] = isSensitiveHeader(name) ? REDACTED : value;
  return copy;
}

/**
 * A function that replaces every occurrence of the given secrets in a text, whatever
 * produced the text. Secrets shorter than 4 characters are ignored: replacing them would
 * mangle ordinary words without protecting anything.
 */
export function createSecretRedactor(secrets: Iterable<string>): (text: string) => string {
  const list = [...new Set(secrets)]
    .filter((secret) => secret.length >= 4)
    .sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let result = text;
    for (const secret of list) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    return result;
  };
}

/** The secret values among `headers` (values of sensitive headers, and the token part of `Bearer x`). */
export function secretsOfHeaders(headers: Record<string, string>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isSensitiveHeader(name)) continue;
    secrets.push(value);
    const space = value.indexOf(' ');
    if (space > 0) secrets.push(value.slice(space + 1).trim());
  }
  return secrets;
}

/** The password of a URI (as written and decoded), for a redactor; none when it has none. */
export function secretsOfUri(uri: string): string[] {
  let password: string;
  try {
    password = new URL(uri).password;
  } catch {
    return [];
  }
  if (password === '') return [];
  try {
    return [password, decodeURIComponent(password)];
  } catch {
    return [password];
  }
}
